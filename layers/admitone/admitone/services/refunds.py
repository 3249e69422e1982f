"""Refunds (RULES §9): asked by a buyer, an organizer or an event's cancellation, made
on Stripe once, then confirmed or failed by Stripe.

A refund is asked in ONE transaction: the order's refunded parts and status (on the
version read, so concurrent refunds of one order serialize and never pass what was
paid), the request's claim (one refund per Idempotency-Key or cancellation), the refund
(pending), its tickets void (their seats back on sale while the event is ahead, and the
buyer's allowance for it; never a used ticket's seat), and the ledger: each part taken
back from where the sale put it and owed to the buyer. Then Stripe is asked, keyed by
the refund's id, so a retry never refunds twice. Stripe's word settles it: ``succeeded``
pays the buyer out of Stripe clearing and announces ``order.refunded``; ``failed`` undoes
the money (the amount is refundable again; the tickets stay void, their seats already
back on sale, and are owed: refundable again by ticket, without a second restock).

Each ticket is voided on the scan count it was judged by (``reissue_op``), as an
admission counts a scan only on a valid ticket (``admit_op``): a refund and a scan of one
ticket racing, whichever commits second fails its condition. A refund that loses reads
the ticket again, used now, and is judged again (refused to its buyer; for an organizer,
money back but the seat kept off sale), so a used seat is never put back on sale.

A crash between the two steps leaves a pending refund Stripe has not seen: the client's
retry finds it by its claim and sends it, and so does reconciliation after 10 minutes.

A cancelled event's refund that fails is asked again at once, as a new refund of
everything left (its own claim per attempt), at most ``CANCELLATION_ATTEMPTS`` times per
order in all; after that it is only surfaced (``refund.failed``, a warning), left to the
organizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import catalog, table
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.money import Refund
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.adapters.dynamo.store import DynamoUnitOfWork
from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Event
from admitone.domain.errors import Contention, DependencyUnavailable, NotFound
from admitone.domain.events import RefundFailed
from admitone.domain.ids import Prefix, is_id, new_id
from admitone.domain.inventory import Allocation
from admitone.domain.ledger import Account
from admitone.domain.orders import Order
from admitone.domain.payments import ProviderRefund
from admitone.domain.refunds import (
    OrderNotRefundable,
    RefundAsk,
    RefundExceedsRemaining,
    RefundPlan,
    RefundReason,
    RefundStatus,
    Requester,
    order_party,
    plan_refund,
    reopen,
)
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.observability import logger, metrics
from admitone.ports.unit_of_work import ChangeRefused
from admitone.services.inventory import pause

Op = dict[str, Any]
MAX_ATTEMPTS = 10
UNSENT_AFTER = timedelta(minutes=10)
STRIPE_SUCCEEDED = "succeeded"
STRIPE_FAILED = frozenset({"failed", "canceled"})
CANCELLATION_ATTEMPTS = 3


def request_refund(
    order_id: str,
    caller: Principal,
    ask: RefundAsk,
    *,
    request_key: str,
    now: datetime | None = None,
) -> Refund:
    """A refund of ``order_id`` asked by ``caller`` (its buyer, the event's organizer or
    an admin; anyone else is told there is no such order)."""
    now = now or datetime.now(UTC)
    order = order_store.get_order(order_id) if is_id(order_id, Prefix.ORDER) else None
    event = catalog.get_event(order.event_id) if order else None
    if order is None or event is None:
        raise NotFound("No such order.")
    if caller.manages(event.owner_id):
        requester = Requester.ORGANIZER
    elif order.buyer_id == caller.user_id:
        requester = Requester.BUYER
    else:
        raise NotFound("No such order.")
    return refund_order(
        order,
        event,
        ask,
        requester=requester,
        requested_by=caller.user_id,
        request_seed=f"{caller.user_id}:{request_key}",
        now=now,
    )


def refund_order(
    order: Order,
    event: Event,
    ask: RefundAsk,
    *,
    requester: Requester,
    requested_by: str,
    request_seed: str,
    now: datetime,
) -> Refund:
    """Ask for the refund (once per ``request_seed``) and send it to Stripe."""
    for _ in range(MAX_ATTEMPTS):
        claimed = money_store.claimed_refund(order.id, request_seed)
        if claimed is not None:
            return send(claimed, now=now)
        tickets = {ticket.id: ticket for ticket in ticket_store.tickets_by_id(order.ticket_ids)}
        refunded, owed = _tickets_by_refund(order.id)
        plan = plan_refund(
            order,
            ask,
            requester=requester,
            tickets=tickets,
            refunded_ticket_ids=refunded,
            owed_ticket_ids=owed,
            event_starts_at=event.starts_at,
            now=now,
        )
        refund = Refund(
            id=new_id(Prefix.REFUND, now=now),
            order_id=order.id,
            event_id=order.event_id,
            venue_id=event.venue_id,
            currency=order.totals.currency,
            amounts=plan.amounts,
            ticket_ids=plan.ticket_ids,
            reason=plan.reason,
            status=RefundStatus.PENDING,
            requested_by=requested_by,
            created_at=now,
        )
        try:
            _ask(order, refund, plan, tickets, request_seed=request_seed, now=now)
        except (table.TransactionCancelled, ChangeRefused):
            # The order, a ticket or the event's settlement moved on, or the same
            # request was claimed meanwhile: read again and decide again.
            fresh = order_store.get_order(order.id)
            assert fresh is not None  # orders are never deleted
            order = fresh
            continue
        logger.info(
            "refund asked",
            extra={"order_id": order.id, "refund_id": refund.id, "amount": refund.amount},
        )
        return send(refund, now=now)
    raise DependencyUnavailable("The order kept changing; try the refund again.")


def _tickets_by_refund(order_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tickets whose money a standing refund took back, and those owed: voided by a
    refund that failed and taken back by none that stands. Read after the order: a
    refund asked or failed since changed the order's version, so the write fails and
    this is read again."""
    refunded: set[str] = set()
    failed: set[str] = set()
    for refund in money_store.refunds_of_order(order_id):
        (failed if refund.status is RefundStatus.FAILED else refunded).update(refund.ticket_ids)
    return frozenset(refunded), frozenset(failed - refunded)


def _ask(
    order: Order,
    refund: Refund,
    plan: RefundPlan,
    tickets: Mapping[str, Ticket],
    *,
    request_seed: str,
    now: datetime,
) -> None:
    """One transaction; with seats to put back on sale, their shards' restock joins it,
    and the buyer's allowance for the event is given back."""
    ops = _asked_ops(order, refund, plan, tickets, request_seed=request_seed, now=now)
    if not plan.restock:
        table.transact(ops)
        return
    lines = {line.ticket_type_id: line for line in order.allocation.lines}
    seats = Allocation(
        tuple(
            lines[tty].units(order.restocked.get(tty, 0), restock.units)
            for tty, restock in plan.restock.items()
        )
    )
    given_back = sum(restock.units for restock in plan.restock.values())
    # Bridge until this service moves onto the unit of work (data layer, step 2): its op
    # dicts join the change sets' writes in one transaction.
    for attempt in range(MAX_ATTEMPTS):
        uow = DynamoUnitOfWork()
        for index, op in enumerate(ops):
            uow.stage_legacy(f"refund op {index}", op)
        uow.standings.give_back(order.buyer_id, order.event_id, given_back)
        uow.inventory.restock(
            order.event_id, seats, {tty: restock.amounts for tty, restock in plan.restock.items()}
        )
        try:
            uow.commit()
        except Contention:
            pause(attempt)
            continue
        return
    raise DependencyUnavailable("The inventory is busy; try again.")


def _asked_ops(
    order: Order,
    refund: Refund,
    plan: RefundPlan,
    tickets: Mapping[str, Ticket],
    *,
    request_seed: str,
    now: datetime,
) -> list[Op]:
    venue_account, guards = venue_account_now(refund.venue_id, order.event_id, refund.currency)
    booked = ledger.refund(
        order_party(order, refund.venue_id),
        refund.id,
        plan.amounts,
        fee_returned=plan.fee_returned,
        venue_account=venue_account,
    )
    return [
        money_store.order_refund_op(
            order,
            status=plan.status_after,
            refunded=plan.refunded_after,
            now=now,
            restocked={
                **order.restocked,
                **{
                    tty: order.restocked.get(tty, 0) + restock.units
                    for tty, restock in plan.restock.items()
                },
            },
        ),
        money_store.claim_request_op(order.id, request_seed, refund.id),
        money_store.new_refund_op(refund),
        *(
            ticket_store.reissue_op(
                tickets[ticket_id],
                replace(tickets[ticket_id], status=TicketStatus.VOID, changed_at=now),
            )
            for ticket_id in plan.void_ticket_ids
        ),
        *ledger_store.book_ops(booked, now=now),
        *guards,
    ]


def venue_account_now(venue_id: str, event_id: str, currency: str) -> tuple[Account, list[Op]]:
    """Where the venue's share of an event's money is now: the event's pending account
    (held there by a condition that the event is still unsettled, counted so that a
    settlement under way reads the proceeds again) or, once settled, the venue's
    available account."""
    settlement = money_store.get_settlement(event_id)
    if settlement is not None and settlement.settled_at is not None:
        return ledger.available(venue_id, currency), []
    return ledger.pending(venue_id, event_id, currency), [
        money_store.pending_write_op(settlement, event_id)
    ]


def send(refund: Refund, *, now: datetime) -> Refund:
    """Ask Stripe for a pending refund (once, however often this runs) and apply its
    answer. Stripe being away leaves the refund pending for a later retry."""
    if refund.status is not RefundStatus.PENDING or refund.stripe_refund_id is not None:
        return refund
    order = order_store.get_order(refund.order_id)
    assert order is not None  # orders are never deleted
    assert order.payment_intent_id is not None  # it was paid
    try:
        made = stripe_payments.refund_payment_intent(
            order.payment_intent_id,
            amount=refund.amount,
            reason=refund.reason.value,
            idempotency_key=f"admitone-refund-{refund.id}",
            metadata={"refund_id": refund.id, "order_id": refund.order_id},
        )
    except DependencyUnavailable:
        logger.warning(
            "stripe unavailable: the refund stays pending", extra={"refund_id": refund.id}
        )
        return refund
    money_store.record_stripe_refund(refund, made.id)
    return apply_stripe_refund(made, now=now) or replace(refund, stripe_refund_id=made.id)


def apply_stripe_refund(stripe_refund: ProviderRefund, *, now: datetime) -> Refund | None:
    """Apply what Stripe says of one of our refunds (from its answer or a webhook);
    safe to repeat and in any order. None when the refund is not one of ours."""
    order_id = stripe_refund.metadata.get("order_id", "")
    refund_id = stripe_refund.metadata.get("refund_id", "")
    if not (is_id(order_id, Prefix.ORDER) and is_id(refund_id, Prefix.REFUND)):
        logger.info(
            "stripe refund of no refund of ours: ignored",
            extra={"stripe_refund_id": stripe_refund.id},
        )
        return None
    for _ in range(MAX_ATTEMPTS):
        refund = money_store.get_refund(order_id, refund_id)
        if refund is None:
            logger.warning("stripe refund names an unknown refund", extra={"refund_id": refund_id})
            return None
        cancellation_failed = (
            refund.reason is RefundReason.EVENT_CANCELLED and stripe_refund.status in STRIPE_FAILED
        )
        try:
            if stripe_refund.status == STRIPE_SUCCEEDED and refund.status is RefundStatus.PENDING:
                _succeeded(refund, stripe_refund.id, now)
            elif stripe_refund.status in STRIPE_FAILED and refund.status is not RefundStatus.FAILED:
                _failed(refund, stripe_refund.id, now)
            elif not cancellation_failed:
                return refund  # nothing new: still pending, or already applied
        except table.TransactionCancelled:
            continue  # the refund or its order moved meanwhile: read again
        if cancellation_failed:
            # Also when Stripe repeats itself: the failure may have committed without its
            # retry (each attempt is claimed once, so asking twice asks once).
            _ask_cancellation_again(refund, now)
        return money_store.get_refund(order_id, refund_id)
    raise DependencyUnavailable("The refund kept changing; Stripe's update will be applied again.")


def _succeeded(refund: Refund, stripe_refund_id: str, now: datetime) -> None:
    order = order_store.get_order(refund.order_id)
    assert order is not None
    party = order_party(order, refund.venue_id)
    table.transact(
        [
            money_store.refund_status_op(
                refund, RefundStatus.SUCCEEDED, stripe_refund_id=stripe_refund_id, now=now
            ),
            *ledger_store.book_ops(ledger.refund_paid(party, refund.id, refund.amount), now=now),
            outbox_op(
                "order.refunded",
                {
                    "order_id": refund.order_id,
                    "event_id": refund.event_id,
                    "amount": refund.amount,
                    "currency": refund.currency,
                    "refund_id": refund.id,
                    "reason": refund.reason.value,
                },
                now=now,
            ),
        ]
    )
    logger.info("refund succeeded", extra={"refund_id": refund.id, "amount": refund.amount})


def _failed(refund: Refund, stripe_refund_id: str, now: datetime) -> None:
    """Undo the refund's money: the amount is refundable again (its tickets are owed),
    and ``refund.failed`` tells the buyer and the organizer."""
    order = order_store.get_order(refund.order_id)
    assert order is not None
    party = order_party(order, refund.venue_id)
    reopened = reopen(order, refund.amounts)
    venue_account, guards = venue_account_now(refund.venue_id, refund.event_id, refund.currency)
    undone = ledger.refund(
        party,
        refund.id,
        refund.amounts,
        fee_returned=-reopened.fee_returned,
        venue_account=venue_account,
        failed=True,
    )
    if refund.status is RefundStatus.SUCCEEDED:
        undone += ledger.refund_paid(party, refund.id, refund.amount, failed=True)
    announced = RefundFailed(
        order_id=refund.order_id,
        event_id=refund.event_id,
        refund_id=refund.id,
        amount=refund.amount,
        currency=refund.currency,
        reason=refund.reason.value,
    )
    table.transact(
        [
            money_store.refund_status_op(
                refund, RefundStatus.FAILED, stripe_refund_id=stripe_refund_id, now=now
            ),
            money_store.order_refund_op(
                order, status=reopened.status_after, refunded=reopened.refunded_after, now=now
            ),
            *ledger_store.book_ops(undone, now=now),
            *guards,
            outbox_op("refund.failed", announced.model_dump(), now=now),
        ]
    )
    metrics.add_metric(name="RefundsFailed", unit=MetricUnit.Count, value=1)
    logger.warning("refund failed: its amount is refundable again", extra={"refund_id": refund.id})


def _ask_cancellation_again(failed: Refund, now: datetime) -> None:
    """The failed refund of a cancelled event's order, asked again (after the failure's
    transaction committed) unless the order's cancellation refunds failed
    ``CANCELLATION_ATTEMPTS`` times already. Each attempt has its own claim, so a repeat
    of Stripe's failure asks the same attempt once."""
    failures = sum(
        1
        for refund in money_store.refunds_of_order(failed.order_id)
        if refund.reason is RefundReason.EVENT_CANCELLED and refund.status is RefundStatus.FAILED
    )
    context = {"order_id": failed.order_id, "refund_id": failed.id, "failures": failures}
    if failures >= CANCELLATION_ATTEMPTS:
        logger.warning(
            "cancellation refund failed every attempt: left to the organizer", extra=context
        )
        return
    order = order_store.get_order(failed.order_id)
    event = catalog.get_event(failed.event_id)
    assert order is not None  # orders are never deleted
    assert event is not None  # nor events with orders
    try:
        again = refund_order(
            order,
            event,
            RefundAsk(reason=RefundReason.EVENT_CANCELLED),
            requester=Requester.SYSTEM,
            requested_by=failed.requested_by,
            # services/cancellation_refunds.py claims the first attempt as
            # ``event-cancelled:<event>``; each attempt after it has its own.
            request_seed=f"event-cancelled:{failed.event_id}:retry:{failures}",
            now=now,
        )
    except (OrderNotRefundable, RefundExceedsRemaining):
        logger.info("cancellation refund not asked again: refunded since", extra=context)
        return
    except DependencyUnavailable:
        # Nothing was claimed (a refund asked but not sent is reconciliation's to send):
        # refund.failed told the buyer and the organizer, who refunds what is left.
        logger.warning("cancellation refund could not be asked again", extra=context)
        return
    logger.info("cancellation refund asked again", extra={**context, "again": again.id})


def send_unsent(now: datetime, *, limit: int = 50) -> int:
    """Send refunds Stripe has not seen for 10 minutes (their request died before)."""
    sent = 0
    for order_id, refund_id in money_store.unsent_refunds(now - UNSENT_AFTER, limit=limit):
        refund = money_store.get_refund(order_id, refund_id)
        if refund is not None and send(refund, now=now).stripe_refund_id is not None:
            sent += 1
    return sent
