"""The catalog as the purchase path reads it: an event and its ticket types."""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.catalog import Event, TicketType


class Catalog(ABC):
    @abstractmethod
    def event(self, event_id: str) -> Event | None:
        """The event, read consistently."""

    @abstractmethod
    def ticket_types(self, event_id: str) -> dict[str, TicketType]:
        """The event's ticket types by id."""
