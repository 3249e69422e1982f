"""The outbox (RULES §7): domain events written in the same unit of work as the change
they announce, then published to the bus, at least once, by outbox_drain."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from admitone.domain.events import EventData
from admitone.domain.outbox import OutboxItem


class OutboxChanges(ABC):
    @abstractmethod
    def announce(self, event_type: str, data: EventData, *, now: datetime) -> str:
        """Stage a pending item announcing ``data`` as ``event_type``; returns its id
        (the ``event_id`` consumers deduplicate by). ``data`` must be the model of its
        type (domain/events.py): a mismatch is a bug and raises ``TypeError`` here."""


class Outbox(ABC):
    @abstractmethod
    def get(self, outbox_id: str) -> OutboxItem | None: ...

    @abstractmethod
    def lease(self, outbox_id: str, *, now: datetime, until: datetime) -> OutboxItem | None:
        """Take the item to publish it until ``until``: None unless it is pending, due
        (``next_attempt_at`` passed) and not leased by another publisher."""

    @abstractmethod
    def mark_published(self, outbox_id: str, *, now: datetime) -> bool:
        """The item was published: it leaves the work list. False if it is no longer
        pending (another publisher marked it first)."""

    @abstractmethod
    def record_failure(self, outbox_id: str, *, error: str, retry_at: datetime) -> None:
        """One more failed attempt (``error`` kept, shortened); the next is due at
        ``retry_at``; the lease ends."""

    @abstractmethod
    def dead_letter(self, outbox_id: str, *, error: str, now: datetime) -> None:
        """The last failed attempt: the item leaves the work list for the dead letters."""

    @abstractmethod
    def pending(self, *, limit: int, occurred_before: datetime | None = None) -> list[OutboxItem]:
        """Unpublished items, oldest first (optionally only those older than a moment)."""
