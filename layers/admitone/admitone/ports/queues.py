"""The work queues the functions hand work on through."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Queues(ABC):
    @abstractmethod
    def send_payment_event(self, body: str, *, group_id: str, deduplication_id: str) -> None:
        """Queue one Stripe event, ordered within ``group_id`` (its PaymentIntent); the
        same ``deduplication_id`` again within minutes is a no-op."""

    @abstractmethod
    def continue_cancellation_refunds(self, event_id: str) -> None:
        """Queue the next pages of a cancelled event's refunds."""
