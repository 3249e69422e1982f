"""Tickets: reading them, and the changes to tickets a unit of work stages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from admitone.domain.tickets import Ticket
from admitone.ports.staging import Staged


class Tickets(ABC):
    @abstractmethod
    def get(self, ticket_id: str) -> Ticket | None: ...

    @abstractmethod
    def by_ids(self, ticket_ids: Sequence[str]) -> list[Ticket]:
        """The tickets with these ids, in that order (missing ones left out)."""


class TicketChanges(ABC):
    @abstractmethod
    def issue(self, ticket: Ticket) -> Staged[Ticket]:
        """Stage a new ticket (``ticket <id>``); refused if its id exists."""

    @abstractmethod
    def void(self, ticket: Ticket, *, now: datetime) -> None:
        """Stage ``ticket`` void: every QR of it answers ``void`` and the scanner bundle
        lists it from ``now``. Only if it is still as it was read (valid, the same
        version, holder and scans): otherwise the commit raises ``Conflict``."""

    @abstractmethod
    def reissue(self, before: Ticket, after: Ticket) -> None:
        """Stage ``after`` (its next version: a transfer, a resale) over ``before``, only if
        the ticket is still as ``before`` was read (valid, the same version, holder and
        scans): otherwise the commit raises ``Conflict``. ``before``'s QR answers ``void``."""
