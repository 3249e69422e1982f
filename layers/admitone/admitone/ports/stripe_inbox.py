"""The Stripe webhook inbox (RULES §6): one item per Stripe event id, kept 30 days.

A handled event is stored not yet enqueued and stays on the pending list (the work a
reconcile job re-drives) until it is marked enqueued. A live item of the same id blocks
a second store; one past its 30 days counts as gone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from admitone.domain.stripe_events import InboxItem, ReceivedEvent, Recorded


class StripeInbox(ABC):
    @abstractmethod
    def record(self, event: ReceivedEvent, payload: str, *, now: datetime) -> Recorded:
        """Store ``event`` unless a live item already holds its id; returns the stored
        item either way (``first_delivery``: this call wrote it)."""

    @abstractmethod
    def mark_enqueued(self, event_id: str, *, now: datetime) -> None:
        """The queue has the event: it leaves the pending list."""

    @abstractmethod
    def pending_since(self, before: datetime, *, limit: int) -> list[InboxItem]:
        """Handled events stored before ``before`` and never queued, oldest first."""

    @abstractmethod
    def known(self, event_id: str, *, now: datetime) -> bool:
        """Whether the event is in the inbox (and not past its 30 days)."""
