"""Tickets: reading one, and the changes to tickets a unit of work stages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from admitone.domain.tickets import Ticket


class Tickets(ABC):
    @abstractmethod
    def get(self, ticket_id: str) -> Ticket | None: ...


class TicketChanges(ABC):
    @abstractmethod
    def void(self, ticket: Ticket, *, now: datetime) -> None:
        """Stage ``ticket`` void: every QR of it answers ``void`` and the scanner bundle
        lists it from ``now``. Only if it is still as it was read (valid, the same
        version, holder and scans): otherwise the commit raises ``Conflict``."""
