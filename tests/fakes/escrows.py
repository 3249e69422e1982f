"""Resale escrows, in memory (as adapters/dynamo/escrows.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from admitone.domain.errors import Conflict
from admitone.domain.resale import Escrow, EscrowMoved, EscrowStatus
from admitone.ports.escrows import EscrowChanges, Escrows, Position
from tests.fakes.transaction import FakeTransaction


@dataclass
class FakeEscrows(Escrows):
    by_id: dict[str, Escrow] = field(default_factory=dict)

    def get(self, escrow_id: str) -> Escrow | None:
        return self.by_id.get(escrow_id)

    def _open(self, event_id: str) -> list[Escrow]:
        return self._of(event_id, (EscrowStatus.CREATED, EscrowStatus.FUNDED))

    def _of(self, event_id: str, statuses: tuple[EscrowStatus, ...]) -> list[Escrow]:
        return sorted(
            (
                one
                for one in self.by_id.values()
                if one.event_id == event_id and one.status in statuses
            ),
            key=lambda one: f"{one.ticket_id}#{one.id}",
        )

    def open_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        return _page(self._open(event_id), limit=limit, start=start)

    def released_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        return _page(self._of(event_id, (EscrowStatus.RELEASED,)), limit=limit, start=start)

    def open_of_ticket(self, event_id: str, ticket_id: str) -> list[Escrow]:
        return [one for one in self._open(event_id) if one.ticket_id == ticket_id]


def _page(
    every: list[Escrow], *, limit: int, start: Position | None
) -> tuple[list[Escrow], dict[str, str] | None]:
    after = (start or {}).get("after", "")
    rest = [one for one in every if f"{one.ticket_id}#{one.id}" > after]
    page = rest[:limit]
    more = len(rest) > limit
    return page, ({"after": f"{page[-1].ticket_id}#{page[-1].id}"} if more else None)


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
