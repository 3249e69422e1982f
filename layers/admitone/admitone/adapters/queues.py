"""SQS queues the functions send to: today the FIFO queue of Stripe events."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable


def send_payment_event(body: str, *, group_id: str, deduplication_id: str) -> None:
    """Queue one Stripe event; ordered within ``group_id`` (its PaymentIntent).

    ``deduplication_id`` (the Stripe event id) makes a resend within SQS's 5-minute
    window a no-op; beyond it the consumer's own idempotency covers duplicates.
    Raises ``DependencyUnavailable`` when the queue does not take it.
    """
    try:
        client("sqs").send_message(
            QueueUrl=settings().payment_events_queue_url,
            MessageBody=body,
            MessageGroupId=group_id,
            MessageDeduplicationId=deduplication_id,
        )
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("The payment event queue is unavailable.") from exc
