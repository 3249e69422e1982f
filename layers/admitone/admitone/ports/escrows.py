"""Resale escrows: reading them, and the changes to escrows a unit of work stages.

An escrow is created once (its id is new), then moves only from the status it was read
in: of two writers moving one escrow at once (a duplicated webhook, the release job)
exactly one lands.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from admitone.domain.resale import Escrow

Position = Mapping[str, str]


class Escrows(ABC):
    @abstractmethod
    def get(self, escrow_id: str) -> Escrow | None: ...

    @abstractmethod
    def open_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        """One page of the event's open escrows (``created`` or ``funded``), as an index
        shows them (it may lag a write: read each again before moving it), and the
        position after it (None on the last page)."""

    @abstractmethod
    def released_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        """One page of the event's ``released`` escrows, as the same kind of index shows
        them, and the position after it."""

    @abstractmethod
    def open_of_ticket(self, event_id: str, ticket_id: str) -> list[Escrow]:
        """The ticket's open escrows, as the same index shows them."""


class EscrowChanges(ABC):
    @abstractmethod
    def create(self, escrow: Escrow) -> None:
        """Stage a new escrow (``escrow <id>``); the commit raises ``Conflict`` if its
        id exists."""

    @abstractmethod
    def move(self, before: Escrow, after: Escrow) -> None:
        """Stage ``after`` over the stored escrow, only while it is still in
        ``before``'s status; otherwise the commit raises ``EscrowMoved``."""
