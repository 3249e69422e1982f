"""The work queues the functions hand work on through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta


class Queues(ABC):
    @abstractmethod
    def send_payment_event(self, body: str, *, group_id: str, deduplication_id: str) -> None:
        """Queue one Stripe event, ordered within ``group_id`` (its PaymentIntent); the
        same ``deduplication_id`` again within minutes is a no-op."""

    @abstractmethod
    def continue_cancellation_refunds(self, event_id: str) -> None:
        """Queue the next pages of a cancelled event's refunds."""

    @abstractmethod
    def retry_message_in(self, queue_arn: str, receipt_handle: str, delay: timedelta) -> None:
        """The message being handled comes back after ``delay`` (not after the queue's
        visibility timeout) once its run reports it failed."""

    @abstractmethod
    def dead_letter_mint(self, body: str) -> None:
        """Put a mint message the worker gave up on in the mint dead-letter queue."""
