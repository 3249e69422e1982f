"""Stripe webhook intake (SPEC §4, RULES §6): verify, record once, enqueue, acknowledge.

The order is what makes it lossless: the inbox item is written (``enqueued: false``)
before the send, so when the send or the mark fails the request answers 5xx, Stripe
redelivers, and the redelivery finds the item not yet enqueued and sends it again (a
reconcile job can re-drive the same pending items). An item already enqueued, or of a
type we do not handle, is only acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters import queues, stripe_webhooks
from admitone.domain.stripe_events import InboxItem, StripeSignatureInvalid, read_event
from admitone.observability import logger, metrics
from admitone.ports import Ports


class IntakeOutcome(StrEnum):
    ENQUEUED = "enqueued"
    ALREADY_ENQUEUED = "already_enqueued"
    IGNORED = "ignored"


@dataclass(frozen=True)
class IntakeResult:
    event_id: str
    outcome: IntakeOutcome


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def receive_stripe_event(
    ports: Ports, payload: bytes, signature_header: str | None, *, now: datetime | None = None
) -> IntakeResult:
    """Take one webhook delivery; raises ``StripeSignatureInvalid`` (400) when unsigned."""
    now = now or datetime.now(UTC)
    try:
        signed = stripe_webhooks.verify(payload, signature_header, now=now)
    except StripeSignatureInvalid as error:
        # A burst of mismatches after a deploy means a wrong or rotated webhook secret.
        logger.warning("stripe signature refused", extra={"reason": str(error.reason)})
        _count("StripeSignatureRejected")
        raise
    return ingest(ports, signed.event, signed.payload, now=now)


def ingest(ports: Ports, event: Mapping[str, Any], payload: str, *, now: datetime) -> IntakeResult:
    """Record a verified (or fetched from Stripe) event once and queue it if handled."""
    received = read_event(event)
    logger.append_keys(stripe_event_id=received.event_id, stripe_event_type=received.event_type)
    recorded = ports.store.stripe_inbox.record(received, payload, now=now)
    item = recorded.item
    if not item.handled:
        _count("StripeEventsIgnored")
        return IntakeResult(received.event_id, IntakeOutcome.IGNORED)
    if item.enqueued:
        _count("StripeEventsDuplicate")
        return IntakeResult(received.event_id, IntakeOutcome.ALREADY_ENQUEUED)
    if not recorded.first_delivery:
        logger.info("stripe event stored earlier but not enqueued: enqueueing it now")
    enqueue(ports, item, now=now)
    return IntakeResult(received.event_id, IntakeOutcome.ENQUEUED)


def enqueue(ports: Ports, item: InboxItem, *, now: datetime) -> None:
    """Send a stored event to the FIFO queue, then mark it sent (a crash between the two
    sends it again later; the queue and the worker both deduplicate)."""
    # The stored copy, not this delivery's: the same id must always travel the same way.
    queues.send_payment_event(
        item.payload, group_id=item.group_id or item.event_id, deduplication_id=item.event_id
    )
    ports.store.stripe_inbox.mark_enqueued(item.event_id, now=now)
    _count("StripeEventsEnqueued")
