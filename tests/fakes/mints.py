"""Tickets' NFT mint records, in memory (as adapters/dynamo/mints.py)."""

from __future__ import annotations

from collections.abc import Sequence

from admitone.domain.errors import Conflict
from admitone.domain.nft import TicketMint
from admitone.ports.mints import MintChanges, Mints
from tests.fakes.transaction import FakeTransaction


class FakeMints(Mints):
    def __init__(self) -> None:
        self.by_ticket: dict[str, TicketMint] = {}

    def get(self, ticket_id: str) -> TicketMint | None:
        return self.by_ticket.get(ticket_id)

    def of_tickets(self, ticket_ids: Sequence[str]) -> list[TicketMint]:
        return [self.by_ticket[t] for t in ticket_ids if t in self.by_ticket]


class FakeMintChanges(MintChanges):
    def __init__(self, mints: FakeMints, transaction: FakeTransaction) -> None:
        self._mints = mints
        self._transaction = transaction

    def record(self, mint: TicketMint, *, as_read: TicketMint | None) -> None:
        def still_as_read() -> bool:
            stored = self._mints.get(mint.ticket_id)
            if as_read is None or stored is None:
                return stored is None and as_read is None
            return _guarded(stored) == _guarded(as_read)

        def apply() -> None:
            self._mints.by_ticket[mint.ticket_id] = mint

        self._transaction.stage(
            f"mint {mint.ticket_id}",
            holds=still_as_read,
            apply=apply,
            error=Conflict("The ticket's mint moved on meanwhile; read it again."),
        )


def _guarded(mint: TicketMint) -> tuple[object, ...]:
    """What a change is conditioned on (as the DynamoDB adapter's condition)."""
    return (
        mint.state,
        mint.attempts,
        mint.holder_address,
        mint.tx_hash,
        mint.move_tx_hash,
        mint.move_attempts,
    )
