"""Disputes (RULES §10): a chargeback freezes its amount, a closed one releases it or
writes it off. Each step is one transaction with its ledger entries, applied once
however often Stripe sends it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import catalog, table
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import orders as order_store
from admitone.domain import ledger
from admitone.domain.ledger import DisputeOutcome
from admitone.domain.orders import Order
from admitone.observability import logger

DISPUTE_CREATED = "charge.dispute.created"
DISPUTE_CLOSED = "charge.dispute.closed"
LOST = "lost"


def apply_dispute(event_type: str, dispute: Mapping[str, Any], *, now: datetime) -> None:
    """Apply ``charge.dispute.created`` / ``charge.dispute.closed`` to its order."""
    payment_intent_id = dispute.get("payment_intent")
    order_id = (
        order_store.order_id_for_payment_intent(str(payment_intent_id))
        if payment_intent_id
        else None
    )
    order = order_store.get_order(order_id) if order_id else None
    if order is None:
        logger.warning(
            "dispute of no order of ours: ignored", extra={"dispute_id": dispute.get("id")}
        )
        return
    dispute_id = str(dispute["id"])
    amount = int(dispute["amount"])
    _open(order, dispute_id, amount, now)
    if event_type == DISPUTE_CLOSED:
        outcome = DisputeOutcome.LOST if dispute.get("status") == LOST else DisputeOutcome.WON
        _close(order, dispute_id, amount, outcome, now)


def _venue_of(order: Order) -> str:
    event = catalog.get_event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    return event.venue_id


def _open(order: Order, dispute_id: str, amount: int, now: datetime) -> None:
    """Reserve the amount and flag the order; nothing when it was done before."""
    if money_store.get_dispute(order.id, dispute_id) is not None:
        return
    booked = ledger.dispute(
        _venue_of(order),
        order.totals.currency,
        dispute_id=dispute_id,
        order_id=order.id,
        amount=amount,
        outcome=DisputeOutcome.OPENED,
    )
    try:
        table.transact(
            [
                money_store.new_dispute_op(order, dispute_id, amount, now),
                money_store.flag_dispute_op(order.id, dispute_id),
                *ledger_store.book_ops(booked, now=now),
            ]
        )
    except table.TransactionCancelled:
        return  # opened by another delivery meanwhile
    logger.warning(
        "dispute opened: amount reserved", extra={"order_id": order.id, "amount": amount}
    )


def _close(
    order: Order, dispute_id: str, amount: int, outcome: DisputeOutcome, now: datetime
) -> None:
    booked = ledger.dispute(
        _venue_of(order),
        order.totals.currency,
        dispute_id=dispute_id,
        order_id=order.id,
        amount=amount,
        outcome=outcome,
    )
    try:
        table.transact(
            [
                money_store.close_dispute_op(order.id, dispute_id, outcome.value, now),
                money_store.flag_dispute_op(order.id, None),
                *ledger_store.book_ops(booked, now=now),
            ]
        )
    except table.TransactionCancelled:
        return  # closed before
    logger.info("dispute closed", extra={"order_id": order.id, "outcome": outcome.value})
