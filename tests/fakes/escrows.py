"""Resale escrows, in memory (as adapters/dynamo/escrows.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from admitone.domain.errors import Conflict
from admitone.domain.resale import Escrow, EscrowMoved
from admitone.ports.escrows import EscrowChanges, Escrows
from tests.fakes.transaction import FakeTransaction


@dataclass
class FakeEscrows(Escrows):
    by_id: dict[str, Escrow] = field(default_factory=dict)

    def get(self, escrow_id: str) -> Escrow | None:
        return self.by_id.get(escrow_id)


class FakeEscrowChanges(EscrowChanges):
    def __init__(self, escrows: FakeEscrows, transaction: FakeTransaction) -> None:
        self._escrows = escrows
        self._transaction = transaction

    def _apply(self, escrow: Escrow) -> None:
        self._escrows.by_id[escrow.id] = escrow

    def create(self, escrow: Escrow) -> None:
        self._transaction.stage(
            f"escrow {escrow.id}",
            holds=lambda: escrow.id not in self._escrows.by_id,
            apply=lambda: self._apply(escrow),
            error=Conflict("This purchase exists already."),
        )

    def move(self, before: Escrow, after: Escrow) -> None:
        def still_as_read() -> bool:
            stored = self._escrows.get(after.id)
            return stored is not None and stored.status is before.status

        self._transaction.stage(
            f"escrow {after.id}",
            holds=still_as_read,
            apply=lambda: self._apply(after),
            error=EscrowMoved(f"The escrow is no longer {before.status.value}."),
        )
