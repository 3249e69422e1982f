"""The catalog as the purchase paths read it: an event, its venue and its ticket types."""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.catalog import Event, TicketType, Venue


class Catalog(ABC):
    @abstractmethod
    def event(self, event_id: str) -> Event | None:
        """The event, read consistently."""

    @abstractmethod
    def venue(self, venue_id: str) -> Venue | None:
        """The venue."""

    @abstractmethod
    def ticket_types(self, event_id: str) -> dict[str, TicketType]:
        """The event's ticket types by id."""
