"""Refunding a cancelled event (RULES §9): every paid order in full, fees included.

First the orders still awaiting payment: each PaymentIntent is cancelled at Stripe so it
can no longer be paid, and the order is cancelled with its hold given back (seats,
allowance, voucher use: ``holds.end_hold``). A PaymentIntent that went through meanwhile
is applied, which for a cancelled event refunds it in full (services/issuance.py); one
still processing is refunded the same way when its webhook lands.

Free orders (a zero total) have nothing to give back, but their tickets are voided like
those of refunded orders (the gate refuses every ticket of a cancelled event anyway).

The event's paid orders are walked in a stable order (by id) a page at a time, at most
``REFUNDS_PER_SECOND`` Stripe refunds a second (Stripe's per-endpoint limits are
25/s in test mode, 100/s live). A progress record keeps the cursor, moved on only past
a page whose orders are all refunded, and only from where it was read: a run that dies
mid-page is redelivered and refunds that page again, and each order's refund is claimed
once per cancellation (services/refunds.py), so nothing is refunded twice.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.domain.catalog import EventStatus
from admitone.domain.errors import Conflict, DependencyUnavailable
from admitone.domain.orders import Order, OrderStatus, PaymentStatus
from admitone.domain.refunds import REFUNDABLE, RefundAsk, RefundReason, Requester
from admitone.domain.resale import ListingEnd
from admitone.domain.tickets import TicketStatus
from admitone.observability import logger
from admitone.ports import Ports
from admitone.services import holds, listing_ends, refunds
from admitone.services.payments import settle_payment_intent

PAGE_SIZE = 10
MAX_ATTEMPTS = 5
REFUNDS_PER_SECOND = 20
CANCELLED_BY = "system:event_cancelled"
EVENT_CANCELLED = "event_cancelled"


class Unpaid(StrEnum):
    """What became of an order of the cancelled event that awaited payment."""

    CANCELLED = "cancelled"  # its PaymentIntent cancelled, its hold given back
    PAID = "paid"  # the payment went through first: applied, so refunded in full
    PAYING = "paying"  # processing at Stripe: its webhook refunds it
    SETTLED = "settled"  # no longer awaiting payment


@dataclass(frozen=True)
class Progress:
    status: str  # running | completed
    orders_total: int
    orders_done: int
    amount_refunded: int


def progress_of(event_id: str) -> Progress | None:
    item = money_store.cancellation_progress(event_id)
    if item is None:
        return None
    return Progress(
        status=str(item["status"]),
        orders_total=int(item["orders_total"]),
        orders_done=int(item["orders_done"]),
        amount_refunded=int(item["amount_refunded"]),
    )


def refund_page(ports: Ports, event_id: str, *, now: datetime) -> bool:
    """Refund the next page of the cancelled event's paid orders; True while more remain.
    The first run ends the orders awaiting payment before it counts the paid ones."""
    event = catalog.get_event(event_id)
    if event is None or event.status is not EventStatus.CANCELLED:
        logger.warning("not a cancelled event: nothing to refund", extra={"event_id": event_id})
        return False
    progress = money_store.cancellation_progress(event_id)
    if progress is None:  # the first run: count the orders once, for the progress shown
        end_unpaid_orders(ports, event_id, now=now)
        money_store.start_cancellation(event_id, money_store.count_paid_orders(event_id), now)
        progress = money_store.cancellation_progress(event_id)
        assert progress is not None  # just created, or by a run alongside
    if progress["status"] == "completed":
        return False
    cursor = str(progress["cursor"])
    order_ids = money_store.paid_orders_after(event_id, cursor or None, limit=PAGE_SIZE)
    amount = 0
    for order_id in order_ids:
        order = order_store.get_order(order_id)
        assert order is not None  # orders are never deleted
        if order.status not in REFUNDABLE and not money_store.claimed_refund(
            order_id, _seed(event_id)
        ):
            continue  # refunded in full before the event was cancelled
        if order.totals.total == 0:  # free tickets or a 100 % voucher: no money to give back
            _void_tickets(ports, order, now)
            continue
        refund = refunds.refund_order(
            order,
            event,
            RefundAsk(reason=RefundReason.EVENT_CANCELLED),
            requester=Requester.SYSTEM,
            requested_by=CANCELLED_BY,
            request_seed=_seed(event_id),
            now=now,
        )
        amount += refund.amount
        time.sleep(1 / REFUNDS_PER_SECOND)
    done = len(order_ids) < PAGE_SIZE
    moved = money_store.advance_cancellation(
        event_id,
        read_cursor=cursor,
        cursor=order_ids[-1] if order_ids else cursor,
        orders=len(order_ids),
        amount=amount,
        done=done,
        now=now,
    )
    logger.info(
        "cancelled event: a page of orders refunded",
        extra={"event_id": event_id, "orders": len(order_ids), "amount": amount, "moved": moved},
    )
    return not done


def end_unpaid_orders(ports: Ports, event_id: str, *, now: datetime) -> Counter[Unpaid]:
    """End every order of the cancelled event that still holds seats awaiting payment;
    safe to run again (a cancelled PaymentIntent stays cancelled, a hold ends once)."""
    outcomes: Counter[Unpaid] = Counter()
    for order_id in order_store.held_for_event(event_id):
        outcomes[_end_unpaid(ports, order_id, now)] += 1
    logger.info(
        "cancelled event: orders awaiting payment ended",
        extra={"event_id": event_id, **{k.value: v for k, v in outcomes.items()}},
    )
    return outcomes


def _end_unpaid(ports: Ports, order_id: str, now: datetime) -> Unpaid:
    order = order_store.get_order(order_id)
    if order is None or order.status is not OrderStatus.PENDING_PAYMENT:
        return Unpaid.SETTLED
    payment_intent_id = order.payment_intent_id
    if payment_intent_id and not ports.payments.cancel_payment_intent(payment_intent_id):
        intent = ports.payments.retrieve_payment_intent(payment_intent_id)
        if intent.status is not PaymentStatus.SUCCEEDED:
            return Unpaid.PAYING
        settle_payment_intent(intent, now=now)
        return Unpaid.PAID
    holds.end_hold(ports.store, order, OrderStatus.CANCELLED, reason=EVENT_CANCELLED, now=now)
    return Unpaid.CANCELLED


def _void_tickets(ports: Ports, order: Order, now: datetime) -> None:
    """Void the order's tickets that are still valid and end their listings, in one unit
    of work; read again and retried when one changed meanwhile (a transfer, a naming)."""
    for _ in range(MAX_ATTEMPTS):
        tickets = ticket_store.tickets_by_id(order.ticket_ids)
        valid = [t for t in tickets if t.status is TicketStatus.VALID]
        if not valid:
            return
        uow = ports.store.unit_of_work()
        for ticket in valid:
            uow.tickets.void(ticket, now=now)
        # Their listings end with them; one ended meanwhile fails the commit (a
        # Conflict too) and the page is read again.
        listing_ends.stage_ends(
            ports.store, uow, [t.id for t in valid], ListingEnd.EVENT_CANCELLED, now=now
        )
        try:
            uow.commit()
        except Conflict:
            continue
        return
    raise DependencyUnavailable("The order's tickets kept changing; the page is retried.")


def _seed(event_id: str) -> str:
    return f"event-cancelled:{event_id}"
