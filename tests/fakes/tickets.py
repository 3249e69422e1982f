"""Tickets, in memory (as adapters/dynamo/tickets.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from admitone.domain.errors import Conflict
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.ports.staging import Staged
from admitone.ports.tickets import TicketChanges, Tickets
from tests.fakes.transaction import FakeTransaction


class FakeTickets(Tickets):
    def __init__(self) -> None:
        self.by_id: dict[str, Ticket] = {}

    def get(self, ticket_id: str) -> Ticket | None:
        return self.by_id.get(ticket_id)

    def add(self, ticket: Ticket) -> None:
        """A ticket as issuing stores it."""
        self.by_id[ticket.id] = ticket

    def by_ids(self, ticket_ids: Sequence[str]) -> list[Ticket]:
        return [self.by_id[i] for i in ticket_ids if i in self.by_id]


class FakeTicketChanges(TicketChanges):
    def __init__(self, tickets: FakeTickets, transaction: FakeTransaction) -> None:
        self._tickets = tickets
        self._transaction = transaction

    def issue(self, ticket: Ticket) -> Staged[Ticket]:
        name = f"ticket {ticket.id}"
        self._transaction.stage(
            name,
            holds=lambda: ticket.id not in self._tickets.by_id,
            apply=lambda: self._tickets.add(ticket),
            as_was=lambda: self._tickets.get(ticket.id),
        )
        return Staged(name)

    def void(self, ticket: Ticket, *, now: datetime) -> None:
        self.reissue(ticket, replace(ticket, status=TicketStatus.VOID, changed_at=now))

    def reissue(self, before: Ticket, after: Ticket) -> None:
        def as_read() -> bool:
            stored = self._tickets.get(before.id)
            return (
                stored is not None
                and stored.status is TicketStatus.VALID
                and (stored.version, stored.holder_id, stored.scans)
                == (before.version, before.holder_id, before.scans)
            )

        def apply() -> None:
            self._tickets.by_id[before.id] = after

        self._transaction.stage(
            f"ticket {before.id}",
            holds=as_read,
            apply=apply,
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )
