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

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.orders import Order, OrderStatus, PaymentStatus
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.ports.unit_of_work import ChangeRefused
from admitone.services import holds
from admitone.services.payments import settle_payment_intent

PAGE = 100


class Overdue(StrEnum):
    EXPIRED = "expired"
    PAID = "paid"  # the payment succeeded after all: tickets issued
    PAYING = "paying"  # processing at Stripe: left for the worker
    SETTLED = "settled"  # already out of pending_payment
    FAILED = "failed"


def resolve_overdue(ports: Ports, order: Order, *, now: datetime) -> Overdue:
    """Settle one pending order whose hold has ended."""
    if order.status is not OrderStatus.PENDING_PAYMENT:
        return Overdue.SETTLED
    payment_intent_id = order.payment_intent_id
    if payment_intent_id and not ports.payments.cancel_payment_intent(payment_intent_id):
        intent = ports.payments.retrieve_payment_intent(payment_intent_id)
        if intent.status is not PaymentStatus.SUCCEEDED:
            return Overdue.PAYING
        settle_payment_intent(intent, now=now)
        return Overdue.PAID
    holds.end_hold(ports.store, order, OrderStatus.EXPIRED, reason="hold_expired", now=now)
    return Overdue.EXPIRED


def sweep(ports: Ports, now: datetime, *, ended_before: datetime | None = None) -> Counter[Overdue]:
    """Resolve every pending order whose hold ended before ``ended_before`` (default:
    ``now``), a page at a time; the counts of each outcome."""
    outcomes: Counter[Overdue] = Counter()
    seen: set[str] = set()
    while True:
        held = ports.store.orders.held_past(ended_before or now, limit=PAGE)
        page = [order_id for order_id in held if order_id not in seen]
        if not page:
            break
        for order_id in page:
            seen.add(order_id)
            outcomes[_resolve_one(ports, order_id, now)] += 1
    for outcome, count in outcomes.items():
        metrics.add_metric(
            name=f"Overdue{outcome.value.title()}", unit=MetricUnit.Count, value=count
        )
    logger.info("overdue holds resolved", extra={k.value: v for k, v in outcomes.items()})
    return outcomes


def _resolve_one(ports: Ports, order_id: str, now: datetime) -> Overdue:
    order = ports.store.orders.get(order_id)
    if order is None:
        return Overdue.SETTLED
    try:
        return resolve_overdue(ports, order, now=now)
    except (DependencyUnavailable, ChangeRefused):
        logger.exception(
            "overdue order not resolved; the next run retries", extra={"order_id": order_id}
        )
        return Overdue.FAILED
