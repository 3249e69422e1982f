"""Disputes (RULES §10): a chargeback freezes its amount, a closed one releases it or
writes it off; a lost one charges its order back and voids its tickets. Each step is
one transaction with its ledger entries, applied once however often Stripe sends it.

A dispute freezes, and lost takes, at most what the venue still holds from the charge
(domain/disputes.py); the rest of a lost one is the platform's loss. What is frozen is
kept on the dispute. A dispute whose amount Stripe changes while it is open
(``charge.dispute.updated``, or a close at another amount) books the change on its own
(``dispute_changed``), so a close always releases exactly what was frozen and nothing
stays reserved after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import catalog, table
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.money import DISPUTE_OPEN, Dispute
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.domain import ledger
from admitone.domain.disputes import venue_answers_for
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.events import OrderChargedBack
from admitone.domain.ledger import DisputeOutcome, Transaction
from admitone.domain.orders import Order
from admitone.domain.tickets import TicketStatus
from admitone.observability import logger

DISPUTE_CLOSED = "charge.dispute.closed"
LOST = "lost"
MAX_ATTEMPTS = 10


def apply_dispute(event_type: str, dispute: Mapping[str, Any], *, now: datetime) -> None:
    """Apply ``charge.dispute.created`` / ``updated`` / ``closed`` to its order."""
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
    closing = event_type == DISPUTE_CLOSED
    outcome = DisputeOutcome.LOST if dispute.get("status") == LOST else DisputeOutcome.WON
    venue_id = _venue_of(order)
    for _ in range(MAX_ATTEMPTS):
        fresh = order_store.get_order(order.id)
        assert fresh is not None  # orders are never deleted
        order = fresh  # what the venue answers for depends on its refunds now
        stored = money_store.get_dispute(order.id, dispute_id)
        try:
            if stored is None:
                _open(order, venue_id, dispute_id, amount, now)
                if closing:
                    continue  # opened from its close (the earlier events missed): close it
            elif stored.status != DISPUTE_OPEN:
                pass  # closed before: Stripe's later word changes nothing
            elif closing:
                _close(order, venue_id, stored, amount=amount, outcome=outcome, now=now)
            elif amount != stored.amount:
                _change(order, venue_id, stored, amount, now)
        except table.TransactionCancelled:
            continue  # opened, changed or closed by another delivery meanwhile: read again
        return
    raise DependencyUnavailable("The dispute kept changing; Stripe's update will be applied again.")


def _venue_of(order: Order) -> str:
    event = catalog.get_event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    return event.venue_id


def _booked(
    order: Order,
    venue_id: str,
    dispute: Dispute,
    outcome: DisputeOutcome,
) -> list[Transaction]:
    return ledger.dispute(
        venue_id,
        order.totals.currency,
        dispute_id=dispute.id,
        order_id=order.id,
        amount=dispute.frozen,
        outcome=outcome,
        taken=dispute.amount,
    )


def _changed(order: Order, venue_id: str, read: Dispute, changed: Dispute) -> list[Transaction]:
    return ledger.dispute_changed(
        venue_id,
        order.totals.currency,
        dispute_id=read.id,
        order_id=order.id,
        change=changed.changes,
        by=changed.frozen - read.frozen,
    )


def _open(order: Order, venue_id: str, dispute_id: str, amount: int, now: datetime) -> None:
    """Reserve what the dispute freezes and flag the order."""
    opened = Dispute(
        id=dispute_id,
        order_id=order.id,
        amount=amount,
        frozen=venue_answers_for(order, amount),
        status=DISPUTE_OPEN,
    )
    table.transact(
        [
            money_store.new_dispute_op(opened, now),
            money_store.flag_dispute_op(order.id, dispute_id),
            *ledger_store.book_ops(
                _booked(order, venue_id, opened, DisputeOutcome.OPENED),
                now=now,
            ),
        ]
    )
    logger.warning(
        "dispute opened: amount reserved",
        extra={"order_id": order.id, "amount": amount, "frozen": opened.frozen},
    )


def _change(order: Order, venue_id: str, read: Dispute, amount: int, now: datetime) -> None:
    """Stripe changed the disputed amount of an open dispute: freeze accordingly."""
    changed = replace(
        read, amount=amount, frozen=venue_answers_for(order, amount), changes=read.changes + 1
    )
    table.transact(
        [
            money_store.change_dispute_op(read, changed, now),
            *ledger_store.book_ops(_changed(order, venue_id, read, changed), now=now),
        ]
    )
    logger.info(
        "disputed amount changed",
        extra={"order_id": order.id, "amount": amount, "frozen": changed.frozen},
    )


def _close(
    order: Order,
    venue_id: str,
    read: Dispute,
    *,
    amount: int,
    outcome: DisputeOutcome,
    now: datetime,
) -> None:
    """Won: what was frozen goes back to available. Lost: what the venue answers for
    now (after any refund since the dispute opened), the change from what was frozen
    booked on its own first, leaves with the rest the bank took; the order is charged
    back (on the version read), its valid tickets void (on the scans read), and
    ``order.charged_back`` is announced."""
    closed = replace(read, amount=amount, status=outcome.value)
    if outcome is DisputeOutcome.WON:
        table.transact(
            [
                money_store.close_dispute_op(read, closed, now),
                money_store.flag_dispute_op(order.id, None),
                *ledger_store.book_ops(_booked(order, venue_id, closed, outcome), now=now),
            ]
        )
        logger.info("dispute won", extra={"order_id": order.id, "released": read.frozen})
        return
    booked: list[Transaction] = []
    frozen = venue_answers_for(order, amount)
    if frozen != read.frozen:
        closed = replace(closed, frozen=frozen, changes=read.changes + 1)
        booked += _changed(order, venue_id, read, closed)
    booked += _booked(order, venue_id, closed, outcome)
    valid = [
        ticket
        for ticket in ticket_store.tickets_by_id(order.ticket_ids)
        if ticket.status is TicketStatus.VALID
    ]
    announced = OrderChargedBack(
        order_id=order.id,
        event_id=order.event_id,
        dispute_id=read.id,
        amount=amount,
        currency=order.totals.currency,
        void_ticket_ids=[ticket.id for ticket in valid],
    )
    table.transact(
        [
            money_store.close_dispute_op(read, closed, now),
            money_store.charge_back_op(order, now),
            *(ticket_store.void_op(ticket, now=now) for ticket in valid),
            *ledger_store.book_ops(booked, now=now),
            outbox_op("order.charged_back", announced.model_dump(), now=now),
        ]
    )
    logger.warning(
        "dispute lost: order charged back, its tickets void",
        extra={"order_id": order.id, "venue_paid": closed.frozen, "tickets": len(valid)},
    )
