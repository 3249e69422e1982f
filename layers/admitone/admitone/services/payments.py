"""Stripe events applied to payments and orders (RULES §4, §6), in any delivery order.

A PaymentIntent's status is mirrored on its order and only ever moves forward: an event
that would move it back (``processing`` after ``succeeded``) is recorded in the log and
ignored. A failed attempt leaves the order payable until its hold expires. Success is
``issuance.settle_success``. A resale purchase's PaymentIntent (it carries an escrow id)
goes to services/escrow_funding.py, refund events to services/refunds.py, disputes to
services/disputes.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo.table import ConditionFailed
from admitone.adapters.stripe_payments import intent_of, refund_of
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, is_id
from admitone.domain.orders import Order, PaymentStatus, payment_moves_forward
from admitone.domain.payments import Intent
from admitone.observability import logger, metrics
from admitone.services import disputes, escrow_funding, issuance, refunds
from admitone.services.wiring import ports

_PAYMENT_INTENT_EVENT = "payment_intent."
_REFUND_EVENT = "refund."
_CHARGE_REFUNDED = "charge.refunded"
_DISPUTE_EVENT = "charge.dispute."
MAX_ATTEMPTS = 5


def apply_stripe_event(event: Mapping[str, Any], *, now: datetime | None = None) -> None:
    """Apply one Stripe event as queued by intake (the body Stripe signed)."""
    event_type = str(event.get("type", ""))
    logger.append_keys(stripe_event_id=event.get("id"), stripe_event_type=event_type)
    now = now or datetime.now(UTC)
    data_object = event["data"]["object"]
    if event_type.startswith(_PAYMENT_INTENT_EVENT):
        settle_payment_intent(intent_of(data_object), now=now)
    elif event_type.startswith(_REFUND_EVENT):
        refunds.apply_stripe_refund(refund_of(data_object), now=now)
    elif event_type == _CHARGE_REFUNDED:
        for refund in (data_object.get("refunds") or {}).get("data", []):
            refunds.apply_stripe_refund(refund_of(refund), now=now)
    elif event_type.startswith(_DISPUTE_EVENT):
        disputes.apply_dispute(event_type, data_object, now=now)
    else:
        logger.info("stripe event acknowledged: nothing to apply")
        _count("StripeEventsIgnored")


def settle_payment_intent(intent: Intent, *, now: datetime) -> None:
    """Apply a PaymentIntent's current state to its order (also used by reconciliation)."""
    logger.append_keys(payment_intent_id=intent.id)
    if intent.escrow_id is not None:
        # A resale purchase's: its escrow, not an order (services/escrow_funding.py).
        escrow_funding.apply_escrow_intent(ports(), intent, now=now)
        return
    order = _order_of(intent)
    if order is None:
        logger.warning("payment intent of no order of ours: ignored")
        _count("PaymentIntentWithoutOrder")
        return
    logger.append_keys(order_id=order.id)
    if intent.status is PaymentStatus.SUCCEEDED:
        # Bridge until this service takes its ports (data layer, step 2).
        issuance.settle_success(ports(), order, intent, now=now)
        return
    for _ in range(MAX_ATTEMPTS):
        if not payment_moves_forward(order.payment_status, intent.status):
            logger.info(
                "payment status would move backwards: ignored",
                extra={"recorded": order.payment_status.value, "reported": intent.status.value},
            )
            _count("PaymentStatusIgnored")
            return
        try:
            order_store.record_payment_status(order, intent.status, error=intent.error)
        except ConditionFailed:
            fresh = order_store.get_order(order.id)
            assert fresh is not None  # orders are never deleted
            order = fresh
            continue
        logger.info("payment status recorded", extra={"status": intent.status.value})
        return
    raise DependencyUnavailable("The order kept changing; the event will be applied again.")


def _order_of(intent: Intent) -> Order | None:
    """The order by the id it carries in metadata, else by the PaymentIntent's own id."""
    if intent.order_id and is_id(intent.order_id, Prefix.ORDER):
        order = order_store.get_order(intent.order_id)
        if order is not None and order.payment_intent_id in (None, intent.id):
            return order
    order_id = order_store.order_id_for_payment_intent(intent.id)
    return order_store.get_order(order_id) if order_id else None


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
