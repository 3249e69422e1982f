"""Tickets, in memory (as adapters/dynamo/tickets.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from admitone.domain.errors import Conflict
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.ports.tickets import TicketChanges, Tickets
from tests.fakes.transaction import FakeTransaction


class FakeTickets(Tickets):
    def __init__(self) -> None:
        self.by_id: dict[str, Ticket] = {}

    def get(self, ticket_id: str) -> Ticket | None:
        return self.by_id.get(ticket_id)

    def add(self, ticket: Ticket) -> None:
        """A ticket as issuing would have stored it (issuing is not on the port yet)."""
        self.by_id[ticket.id] = ticket


class FakeTicketChanges(TicketChanges):
    def __init__(self, tickets: FakeTickets, transaction: FakeTransaction) -> None:
        self._tickets = tickets
        self._transaction = transaction

    def void(self, ticket: Ticket, *, now: datetime) -> None:
        def as_read() -> bool:
            stored = self._tickets.get(ticket.id)
            return (
                stored is not None
                and stored.status is TicketStatus.VALID
                and (stored.version, stored.holder_id, stored.scans)
                == (ticket.version, ticket.holder_id, ticket.scans)
            )

        def apply() -> None:
            self._tickets.by_id[ticket.id] = replace(
                ticket, status=TicketStatus.VOID, changed_at=now
            )

        self._transaction.stage(
            f"ticket {ticket.id}",
            holds=as_read,
            apply=apply,
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )
