"""Unpaid orders past their hold (RULES §4, §8 check 3): each is settled with what its
PaymentIntent says. Cancelled at Stripe first, so it can no longer be paid, then
expired: its seats, allowance and voucher use return. A PaymentIntent that succeeded
meanwhile is applied (tickets issued), one still processing is left to the payment
worker and reconciliation. One order failing never stops the others."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo.table import TransactionCancelled
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.orders import Order, OrderStatus, PaymentStatus
from admitone.observability import logger, metrics
from admitone.services import holds
from admitone.services.payments import settle_payment_intent

PAGE = 100


class Overdue(StrEnum):
    EXPIRED = "expired"
    PAID = "paid"  # the payment succeeded after all: tickets issued
    PAYING = "paying"  # processing at Stripe: left for the worker
    SETTLED = "settled"  # already out of pending_payment
    FAILED = "failed"


def resolve_overdue(order: Order, *, now: datetime) -> Overdue:
    """Settle one pending order whose hold has ended."""
    if order.status is not OrderStatus.PENDING_PAYMENT:
        return Overdue.SETTLED
    payment_intent_id = order.payment_intent_id
    if payment_intent_id and not stripe_payments.cancel_payment_intent(payment_intent_id):
        intent = stripe_payments.retrieve_payment_intent(payment_intent_id)
        if intent.status is not PaymentStatus.SUCCEEDED:
            return Overdue.PAYING
        settle_payment_intent(intent, now=now)
        return Overdue.PAID
    holds.end_hold(order, OrderStatus.EXPIRED, reason="hold_expired", now=now)
    return Overdue.EXPIRED


def sweep(now: datetime, *, ended_before: datetime | None = None) -> Counter[Overdue]:
    """Resolve every pending order whose hold ended before ``ended_before`` (default:
    ``now``), a page at a time; the counts of each outcome."""
    outcomes: Counter[Overdue] = Counter()
    seen: set[str] = set()
    while True:
        page = [i for i in order_store.held_past(ended_before or now, limit=PAGE) if i not in seen]
        if not page:
            break
        for order_id in page:
            seen.add(order_id)
            outcomes[_resolve_one(order_id, now)] += 1
    for outcome, count in outcomes.items():
        metrics.add_metric(
            name=f"Overdue{outcome.value.title()}", unit=MetricUnit.Count, value=count
        )
    logger.info("overdue holds resolved", extra={k.value: v for k, v in outcomes.items()})
    return outcomes


def _resolve_one(order_id: str, now: datetime) -> Overdue:
    order = order_store.get_order(order_id)
    if order is None:
        return Overdue.SETTLED
    try:
        return resolve_overdue(order, now=now)
    except (DependencyUnavailable, TransactionCancelled, ClientError, BotoCoreError):
        logger.exception(
            "overdue order not resolved; the next run retries", extra={"order_id": order_id}
        )
        return Overdue.FAILED
