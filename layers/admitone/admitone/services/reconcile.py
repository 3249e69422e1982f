"""Reconciliation, every 5 minutes (RULES §8). Each check reports its count (metric + log).

1. Paid without tickets cannot exist here: tickets are issued in the transaction that
   marks an order paid. What can stall is a Stripe event stored by intake but never
   queued (the send failed and Stripe stopped retrying): those are queued again.
2. Outbox items unpublished for more than 10 minutes: published now, their attempt
   counts kept (``outbox_drain.sweep``; a dead-lettered item stays dead).
3. Pending orders more than a minute past their hold (the sweeper's misses): settled
   with what their PaymentIntent says (``hold_sweeper.resolve_overdue``).
4. Payments ``processing`` for more than 10 minutes: fetched and applied.
5. Missed webhooks: Stripe's events of the last hour (at most 100) that the inbox does
   not know are ingested as if delivered.
6. Refunds asked more than 10 minutes ago that Stripe never accepted (the request died
   between recording and sending them): sent now, once (``refunds.send_unsent``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.stripe_events import is_handled
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.services import hold_sweeper, outbox_drain, refunds, stripe_intake
from admitone.services.payments import settle_payment_intent

STALLED_AFTER = timedelta(minutes=5)
OUTBOX_STUCK_AFTER = timedelta(minutes=10)
OVERDUE_AFTER = timedelta(minutes=1)
PROCESSING_AFTER = timedelta(minutes=10)
MISSED_WINDOW = timedelta(hours=1)
LIMIT = 100


def reconcile(ports: Ports, now: datetime) -> dict[str, int]:
    report = {
        "stalled_events_requeued": _requeue_stalled(ports, now),
        "stuck_outbox_redriven": sum(
            outbox_drain.sweep(
                ports, occurred_before=now - OUTBOX_STUCK_AFTER, clock=lambda: now
            ).values()
        ),
        "overdue_orders_resolved": sum(
            hold_sweeper.sweep(ports, now, ended_before=now - OVERDUE_AFTER).values()
        ),
        "processing_payments_refreshed": _refresh_processing(now),
        "missed_events_ingested": _ingest_missed(ports, now),
        "unsent_refunds_sent": refunds.send_unsent(now, limit=LIMIT),
    }
    for name, count in report.items():
        metrics.add_metric(name=f"Reconcile_{name}", unit=MetricUnit.Count, value=count)
    logger.info("reconciliation done", extra=report)
    return report


def _requeue_stalled(ports: Ports, now: datetime) -> int:
    stalled = ports.store.stripe_inbox.pending_since(now - STALLED_AFTER, limit=LIMIT)
    for item in stalled:
        stripe_intake.enqueue(ports, item, now=now)
    return len(stalled)


def _refresh_processing(now: datetime) -> int:
    refreshed = 0
    for order_id in order_store.processing_since(now - PROCESSING_AFTER, limit=LIMIT):
        order = order_store.get_order(order_id)
        if order is None or order.payment_intent_id is None:
            continue
        settle_payment_intent(
            stripe_payments.retrieve_payment_intent(order.payment_intent_id), now=now
        )
        refreshed += 1
    return refreshed


def _ingest_missed(ports: Ports, now: datetime) -> int:
    since = int((now - MISSED_WINDOW).timestamp())
    # Every page of the window, not the first: on a busy hour the event we missed may be
    # the hundred-and-first.
    events = stripe_client().v1.events.list(params={"created": {"gte": since}, "limit": LIMIT})
    ingested = 0
    for event in events.auto_paging_iter():
        if not is_handled(event.type) or ports.store.stripe_inbox.known(event.id, now=now):
            continue
        payload = json.dumps(event.to_dict(), indent=2)
        stripe_intake.ingest(ports, json.loads(payload), payload, now=now)
        ingested += 1
    return ingested
