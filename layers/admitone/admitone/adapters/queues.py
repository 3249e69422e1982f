"""SQS queues the functions send to: the FIFO queue of Stripe events, and the queue that
refunds a cancelled event's orders."""

from __future__ import annotations

import json
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable
from admitone.ports.queues import Queues


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


CONTINUE = "continue_refunding_event_id"


def continue_cancellation_refunds(event_id: str) -> None:
    """Queue the next pages of a cancelled event's refunds (a run stops before its time
    is up and hands on). Raises ``DependencyUnavailable`` when the queue does not take it:
    the run then fails and its own message comes back."""
    queue_url = settings().cancellation_refunds_queue_url
    if not queue_url:
        raise DependencyUnavailable("No cancellation refunds queue is configured.")
    try:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({CONTINUE: event_id}))
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("The cancellation refunds queue is unavailable.") from exc


def retry_message_in(queue_arn: str, receipt_handle: str, delay: timedelta) -> None:
    """Make the message visible again after ``delay``: its run is about to report it
    failed, and the queue's own visibility timeout would wait longer than the backoff."""
    account, name = queue_arn.split(":")[4:6]
    sqs = client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.change_message_visibility(
            QueueUrl=url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=int(delay.total_seconds()),
        )
    except (BotoCoreError, ClientError):
        # The message still comes back, after the visibility timeout: later, not lost.
        return


def dead_letter_mint(body: str) -> None:
    """Raises ``DependencyUnavailable`` when the DLQ does not take it (the run fails and
    the message comes back, to be given up on again)."""
    queue_url = settings().mint_dlq_url
    if not queue_url:
        raise DependencyUnavailable("No mint dead-letter queue is configured.")
    try:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("The mint dead-letter queue is unavailable.") from exc


class SqsQueues(Queues):
    def send_payment_event(self, body: str, *, group_id: str, deduplication_id: str) -> None:
        send_payment_event(body, group_id=group_id, deduplication_id=deduplication_id)

    def continue_cancellation_refunds(self, event_id: str) -> None:
        continue_cancellation_refunds(event_id)

    def retry_message_in(self, queue_arn: str, receipt_handle: str, delay: timedelta) -> None:
        retry_message_in(queue_arn, receipt_handle, delay)

    def dead_letter_mint(self, body: str) -> None:
        dead_letter_mint(body)
