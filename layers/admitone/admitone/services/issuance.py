"""What a succeeded payment does to its order (RULES §4), exactly once; and a free one.

Issuing is ONE transaction: the order moves to ``paid`` (conditioned on the status and
version it was read in), the buyer's cooldown starts, every ticket is created with its
signed QR token, the ``order.paid`` and ``ticket.issued`` outbox items are written, and
the seats move from held to sold (or, for a late payment, from available to sold). A
crash before it changes nothing; a crash after it finds the order paid on the retry
and does nothing. There is no state in between.

An order whose total is zero (free tickets, a 100 % voucher) has nothing to pay: the
order's own placing issues it at once, by the same transaction (``settle_free``).

A late payment whose seats are gone is refunded in full, by a refund made once (see
``Payments.refund_payment_intent``), before the order records it. So is a payment
for an event whose tickets cannot be issued: one no longer on sale (cancelled while the
order awaited payment, or otherwise not published), or one dated beyond what a ticket
token carries (stored before RULES §4's window was enforced). Its hold, if still held, is
released in the transaction that records the refund. Never money without a seat, never a
ticket for an event that will not happen, and never silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters.signing_keys import load_keyset
from admitone.domain import ledger
from admitone.domain.catalog import Event, EventStatus
from admitone.domain.codes import new_ticket_code
from admitone.domain.errors import (
    Contention,
    DependencyUnavailable,
    InvalidTransition,
    SalesClosed,
    SoldOut,
)
from admitone.domain.events import OrderPaid, OrderRefunded, SecurityAlert, TicketIssued
from admitone.domain.ids import Prefix, new_id
from admitone.domain.inventory import Allocation, Amounts
from admitone.domain.keys import KeyPurpose
from admitone.domain.nft import mint_priority
from admitone.domain.orders import (
    PURCHASE_COOLDOWN,
    Order,
    OrderStatus,
    PaymentMismatch,
    PaymentStatus,
    SuccessOutcome,
    on_payment_succeeded,
    payment_mismatches,
)
from admitone.domain.payments import Intent
from admitone.domain.refunds import order_party, paid_components
from admitone.domain.tickets import Ticket
from admitone.domain.tokens import (
    TicketClaims,
    can_carry_event,
    issue_ticket_token,
    ticket_token_expiry,
)
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused, Staged, UnitOfWork
from admitone.services import inventory as inventory_service

MAX_ATTEMPTS = 5
LATE_PAYMENT_NO_INVENTORY = "late_payment_no_inventory"
TICKETS_NOT_ISSUABLE = "tickets_not_issuable"
EVENT_CANCELLED = "event_cancelled"
EVENT_NOT_ON_SALE = "event_not_on_sale"


class OrderChanged(Exception):
    """The order was no longer in the status and version it was read in; ``current`` is
    the order as the refused unit of work found it."""

    def __init__(self, current: Order | None) -> None:
        super().__init__("the order changed meanwhile")
        self.current = current


class Settled:
    """What a succeeded payment did to its order. The order as it now stands is read on
    first use only: the payment worker applies the payment and needs no read after it
    (one DynamoDB round trip fewer a payment)."""

    def __init__(
        self, outcome: SuccessOutcome, read: Callable[[], Order], order: Order | None = None
    ) -> None:
        self.outcome = outcome
        self._read = read
        self._order = order

    @property
    def order(self) -> Order:
        if self._order is None:
            self._order = self._read()
        return self._order


def settle_success(ports: Ports, order: Order, intent: Intent, *, now: datetime) -> Settled:
    """Apply a succeeded PaymentIntent to its order; safe to repeat, in any order."""
    store = ports.store
    for _ in range(MAX_ATTEMPTS):
        mismatches = payment_mismatches(
            order, amount=intent.amount, currency=intent.currency, metadata_order_id=intent.order_id
        )
        outcome = on_payment_succeeded(order, mismatches)
        try:
            if outcome is SuccessOutcome.ISSUE:
                _issue_from_hold(ports, order, intent, now)
            elif outcome is SuccessOutcome.RETAKE:
                _retake_or_refund(ports, order, intent, now)
            elif outcome is SuccessOutcome.REVIEW:
                _put_on_hold(store, order, intent, mismatches, now)
        except OrderChanged as changed:
            if changed.current is None:
                raise AssertionError("orders are never deleted") from None
            order = changed.current
            continue
        _count(f"Payment{outcome.value.title().replace('_', '')}")
        read = partial(_stored, store, order.id)
        if outcome is SuccessOutcome.ALREADY_DONE:
            return Settled(outcome, read, order=order)
        return Settled(outcome, read)
    raise DependencyUnavailable("The order kept changing; the payment will be applied again.")


def _stored(store: Store, order_id: str) -> Order:
    order = store.orders.get(order_id)
    assert order is not None  # orders are never deleted
    return order


def settle_free(ports: Ports, order: Order, *, now: datetime) -> Order:
    """Issue a just-placed order of total zero from its live hold, as a succeeded payment
    would: paid, tickets, ``order.paid`` and ``ticket.issued``, seats sold. Its ledger
    sale moves no money and books nothing (``ledger.sale`` leaves out zero entries)."""
    if order.totals.total != 0:
        raise ValueError(f"order {order.id} costs {order.totals.total}: it is paid by card")
    try:
        _issue_from_hold(ports, order, None, now)
    except OrderChanged:
        raise InvalidTransition("The order changed while it was being issued.") from None
    _count("FreeOrderIssued")
    issued = ports.store.orders.get(order.id)
    assert issued is not None  # it was just written
    return issued


def _commit(store: Store, stage: Callable[[UnitOfWork], Staged[Order]]) -> None:
    """Stage the change into a fresh unit of work and commit it, again after losing to a
    contending writer. The order's own write refused is ``OrderChanged``."""
    for attempt in range(inventory_service.MAX_ATTEMPTS):
        uow = store.unit_of_work()
        order_write = stage(uow)
        try:
            uow.commit()
        except Contention:
            inventory_service.pause(attempt)
            continue
        except ChangeRefused as refused:
            if refused.refused(order_write):
                raise OrderChanged(refused.as_was(order_write)) from None
            raise
        return
    raise DependencyUnavailable("The store is busy; the payment will be applied again.")


# -------------------------------------------------------------------- issue
def _issue_from_hold(ports: Ports, order: Order, intent: Intent | None, now: datetime) -> None:
    """Issue a held order's tickets; ``intent`` is its payment, None for a free order."""
    event = _event(ports.store, order)
    refusal = _not_issuable(event)
    if refusal is not None:
        if intent is None:
            # Nothing was paid: the order's own flow gives the hold back.
            raise SalesClosed("Tickets for this event cannot be issued.")
        _refund_not_issuable(ports, order, intent, now, reason=refusal)
        return
    tickets = new_tickets(order, event, now)

    def stage(uow: UnitOfWork) -> Staged[Order]:
        paid = _stage_paid(uow, order, event, tickets, now)
        uow.inventory.convert(order.event_id, order.allocation, _amounts(order))
        return paid

    _commit(ports.store, stage)
    logger.info("tickets issued", extra={"order_id": order.id, "tickets": len(tickets)})


def _retake_or_refund(ports: Ports, order: Order, intent: Intent, now: datetime) -> None:
    """Late: the hold was released. Take the seats again if they are there, else refund."""
    store = ports.store
    event = _event(store, order)
    refusal = _not_issuable(event)
    if ports.payments.existing_refund(intent.id, idempotency_key=_late_refund_key(order)):
        # Refunded before a crash: only record it.
        _refund_late(ports, order, intent, now, reason=refusal or LATE_PAYMENT_NO_INVENTORY)
        return
    if refusal is not None:
        _refund_late(ports, order, intent, now, reason=refusal)
        return
    ticket_types = store.catalog.ticket_types(order.event_id)
    tickets = new_tickets(order, event, now)
    lines = [(ticket_types[line.ticket_type_id], line.quantity) for line in order.lines]
    paid: list[Staged[Order]] = []

    def stage(uow: UnitOfWork, allocation: Allocation) -> None:
        paid[:] = [_stage_paid(uow, order, event, tickets, now, retake_at=allocation)]

    try:
        inventory_service.sell(store, order.event_id, lines, _amounts(order), also=stage)
    except SoldOut:
        _refund_late(ports, order, intent, now)
        return
    except ChangeRefused as refused:
        if paid and refused.refused(paid[0]):
            raise OrderChanged(refused.as_was(paid[0])) from None
        raise
    logger.info("late payment: seats re-taken", extra={"order_id": order.id})


def _refund_late(
    ports: Ports,
    order: Order,
    intent: Intent,
    now: datetime,
    *,
    reason: str = LATE_PAYMENT_NO_INVENTORY,
) -> None:
    refund_id = _refund_in_full(ports, order, intent, reason)
    _commit(
        ports.store,
        lambda uow: _stage_refunded(uow, order, intent, refund_id, now, reason=reason),
    )
    logger.warning("late payment refunded", extra={"order_id": order.id, "reason": reason})


def _not_issuable(event: Event) -> str | None:
    """Why no ticket of ``event`` may be issued now (a payment for it goes back in
    full), or None."""
    if event.status is EventStatus.CANCELLED:
        return EVENT_CANCELLED
    if event.status is not EventStatus.PUBLISHED:
        return EVENT_NOT_ON_SALE
    if not can_carry_event(event.ends_at):
        return TICKETS_NOT_ISSUABLE
    return None


def _refund_not_issuable(
    ports: Ports, order: Order, intent: Intent, now: datetime, *, reason: str
) -> None:
    """Paid, but the event takes no sale (``_not_issuable``): refund in full, and give
    back the hold (seats, allowance, voucher use) with the order's refund, in one
    unit of work."""
    refund_id = _refund_in_full(ports, order, intent, reason)

    def stage(uow: UnitOfWork) -> Staged[Order]:
        refunded = _stage_refunded(
            uow, order, intent, refund_id, now, reason=reason, release_hold=True
        )
        uow.standings.give_back(order.buyer_id, order.event_id, order.quantity)
        if order.voucher_code:
            uow.vouchers.give_back(order.event_id, order.voucher_code, order.totals.discount)
        uow.inventory.release(order.event_id, order.allocation)
        return refunded

    _commit(ports.store, stage)
    _count("PaymentRefundedTicketsNotIssuable")
    logger.error(
        "payment refunded: the event's tickets cannot be issued",
        extra={"order_id": order.id, "reason": reason},
    )


def _refund_in_full(ports: Ports, order: Order, intent: Intent, reason: str) -> str:
    """The PaymentIntent refunded in full, once however often this runs (keyed by the
    order): the Stripe refund's id."""
    return ports.payments.refund_payment_intent(
        intent.id, amount=intent.amount, reason=reason, idempotency_key=_late_refund_key(order)
    ).id


def _stage_refunded(
    uow: UnitOfWork,
    order: Order,
    intent: Intent,
    refund_id: str,
    now: datetime,
    *,
    reason: str,
    release_hold: bool = False,
) -> Staged[Order]:
    """The order refunded in full and its ``order.refunded`` announcement."""
    refunded = uow.orders.transition(
        order,
        OrderStatus.REFUNDED,
        now=now,
        reason=reason,
        payment_status=PaymentStatus.SUCCEEDED,
        release_hold=release_hold,
    )
    uow.outbox.announce(
        "order.refunded",
        OrderRefunded(
            order_id=order.id,
            event_id=order.event_id,
            amount=intent.amount,
            currency=order.totals.currency,
            refund_id=refund_id,
            reason=reason,
        ),
        now=now,
    )
    return refunded


def _put_on_hold(
    store: Store,
    order: Order,
    intent: Intent,
    mismatches: Sequence[PaymentMismatch],
    now: datetime,
) -> None:
    fields = ",".join(m.value for m in mismatches)

    def stage(uow: UnitOfWork) -> Staged[Order]:
        held = uow.orders.transition(
            order,
            OrderStatus.ON_HOLD,
            now=now,
            reason=f"payment_mismatch:{fields}",
            payment_status=PaymentStatus.SUCCEEDED,
        )
        uow.outbox.announce(
            "security.alert",
            SecurityAlert(
                kind="payment_mismatch",
                order_id=order.id,
                payment_intent_id=intent.id,
                mismatched=[m.value for m in mismatches],
                paid_amount=intent.amount,
                paid_currency=intent.currency,
                order_total=order.totals.total,
                order_currency=order.totals.currency,
            ),
            now=now,
        )
        return held

    _commit(store, stage)
    logger.warning("payment does not match its order: on hold", extra={"mismatched": fields})


# ------------------------------------------------------------------ helpers
def new_tickets(order: Order, event: Event, now: datetime) -> list[Ticket]:
    """One ticket per seat of the order, each with its signed QR token (version 1)."""
    key = load_keyset().signing_key(KeyPurpose.TICKET)
    expires_at = ticket_token_expiry(event.ends_at)
    tickets = []
    for line in order.lines:
        for _ in range(line.quantity):
            ticket_id = new_id(Prefix.TICKET, now=now)
            claims = TicketClaims(
                ticket_id=ticket_id,
                event_id=order.event_id,
                ticket_type_id=line.ticket_type_id,
                version=1,
                expires_at=expires_at,
            )
            tickets.append(
                Ticket(
                    id=ticket_id,
                    code=new_ticket_code(),
                    order_id=order.id,
                    event_id=order.event_id,
                    ticket_type_id=line.ticket_type_id,
                    holder_id=order.buyer_id,
                    token=issue_ticket_token(claims, key),
                    issued_at=now,
                    attendee_email=order.attendee_email,
                )
            )
    return tickets


def _stage_paid(
    uow: UnitOfWork,
    order: Order,
    event: Event,
    tickets: Sequence[Ticket],
    now: datetime,
    *,
    retake_at: Allocation | None = None,
) -> Staged[Order]:
    """The order paid, the buyer's cooldown starting (for seats re-taken by a late
    payment, ``retake_at``, its allowance counted again too), the tickets and their
    announcements, the sale in the ledger, the order on its event's list of paid orders."""
    paid = uow.orders.transition(
        order,
        OrderStatus.PAID,
        now=now,
        ticket_ids=[t.id for t in tickets],
        payment_status=PaymentStatus.SUCCEEDED,
        allocation=retake_at,
    )
    cooldown_until = now + PURCHASE_COOLDOWN
    if retake_at is None:
        uow.standings.cool_down(order.buyer_id, order.event_id, cooldown_until)
    else:
        uow.standings.retake(
            order.buyer_id, order.event_id, order.quantity, cooldown_until=cooldown_until
        )
    for ticket in tickets:
        uow.tickets.issue(ticket)
    uow.outbox.announce(
        "order.paid",
        OrderPaid(
            order_id=order.id,
            order_number=order.number,
            event_id=order.event_id,
            buyer_id=order.buyer_id,
            total=order.totals.total,
            currency=order.totals.currency,
            ticket_ids=[t.id for t in tickets],
            mint_priority=(
                mint_priority(event.starts_at, now=now).value if event.nft_enabled else None
            ),
        ),
        now=now,
    )
    for ticket in tickets:
        uow.outbox.announce(
            "ticket.issued",
            TicketIssued(
                ticket_id=ticket.id,
                order_id=order.id,
                event_id=order.event_id,
                ticket_type_id=ticket.ticket_type_id,
                holder_id=ticket.holder_id,
            ),
            now=now,
        )
    uow.ledger.book(
        ledger.sale(order_party(order, event.venue_id), paid_components(order)), now=now
    )
    uow.orders.list_as_paid(order)
    return paid


def _late_refund_key(order: Order) -> str:
    return f"admitone-late-refund-{order.id}"


def _amounts(order: Order) -> dict[str, Amounts]:
    return {tty: Amounts(**money) for tty, money in order.amounts.items()}


def _event(store: Store, order: Order) -> Event:
    event = store.catalog.event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    return event


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
