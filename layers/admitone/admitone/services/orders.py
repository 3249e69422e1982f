"""Orders (SPEC §3, RULES §4, §11): place one (seats held, PaymentIntent created), read
one, list a buyer's, cancel one while it awaits payment.

Placing asks Stripe for the PaymentIntent first, with a key derived from the client's
``Idempotency-Key`` and the order, so that a retried request never creates a second
charge for one order. Then one transaction writes the order with that PaymentIntent's
id, the buyer's standing (per-event limit and cooldown), the voucher redemption and
every inventory shard the seats come from: nothing is written after the hold. An order
of total zero asks Stripe nothing: it is issued at once (services/issuance.py, the
transaction a succeeded payment uses).

Stripe away or refusing -> no order at all (503, nothing held, nothing kept for the key).
A hold refused or failed (sold out, the buyer's limit, the voucher used up, the store)
cancels the PaymentIntent it would have carried; nobody ever held its client secret.
A free order whose issuance fails after its hold gives the hold back at once; should
even that fail, the sweeper expires it when its hold ends.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.cursor_keys import cursor_key
from admitone.domain.accounts import Principal, normalize_email
from admitone.domain.catalog import TicketType, Voucher
from admitone.domain.checkout import CartItem
from admitone.domain.codes import format_order_number
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import (
    DependencyUnavailable,
    DomainError,
    FieldError,
    InvalidTransition,
    LimitExceeded,
    NotFound,
    VoucherExhausted,
)
from admitone.domain.ids import Prefix, is_id, new_id
from admitone.domain.inventory import Allocation, Stock
from admitone.domain.jwt_tokens import Role
from admitone.domain.nft import AwaitedMint, TicketMint, mint_standing
from admitone.domain.orders import (
    BuyerStanding,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    check_buyer_limits,
    hold_expiry,
    per_user_limit,
)
from admitone.domain.payments import Intent
from admitone.domain.pricing import Quote
from admitone.domain.rate_limits import Client
from admitone.domain.tickets import Ticket
from admitone.observability import logger, report_error
from admitone.ports import Ports
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused, Staged, UnitOfWork
from admitone.services import holds, issuance
from admitone.services import inventory as inventory_service
from admitone.services.quote import PricedCart, price_cart


@dataclass(frozen=True)
class PlacedOrder:
    """The order as placed: awaiting payment with the PaymentIntent's client secret, or,
    for a total of zero, already paid with its tickets."""

    order: Order
    client_secret: str | None
    tickets: tuple[Ticket, ...] = ()


def _totals(quote: Quote) -> OrderTotals:
    return OrderTotals(
        currency=quote.currency.value,
        subtotal=quote.subtotal,
        discount=quote.discount,
        platform_fee=quote.platform_fee,
        nft_fee=quote.nft_fee,
        taxes=tuple(
            {"name": tax.name, "rate_bps": tax.rate_bps, "amount": tax.amount}
            for tax in quote.taxes
        ),
        total=quote.total,
    )


def _amounts(quote: Quote) -> dict[str, dict[str, int]]:
    """Each ticket type's gross, discount and platform fee: its sales statistics."""
    amounts: dict[str, dict[str, int]] = {}
    for share in quote.tickets:
        money = amounts.setdefault(
            share.ticket_type_id, {"gross_cents": 0, "discount_cents": 0, "fee_cents": 0}
        )
        money["gross_cents"] += share.price
        money["discount_cents"] += share.discount
        money["fee_cents"] += share.platform_fee
    return amounts


def _shares(quote: Quote) -> tuple[dict[str, Any], ...]:
    """Each ticket's part of every component: refunds by ticket take back exactly it."""
    return tuple(
        {
            "ticket_type_id": share.ticket_type_id,
            "price": share.price,
            "discount": share.discount,
            "platform_fee": share.platform_fee,
            "nft_fee": share.nft_fee,
            "taxes": [tax.amount for tax in share.taxes],
        }
        for share in quote.tickets
    )


def _lines(quote: Quote) -> tuple[OrderLine, ...]:
    quantities: dict[str, OrderLine] = {}
    for share in quote.tickets:
        line = quantities.get(share.ticket_type_id)
        quantity = line.quantity + 1 if line else 1
        quantities[share.ticket_type_id] = OrderLine(share.ticket_type_id, quantity, share.price)
    return tuple(quantities.values())


def _sold_share(stock: Mapping[str, Stock]) -> tuple[int, int]:
    """(sold, capacity) over the event's ticket types: how hot the on-sale is."""
    types = [s.totals for owner, s in stock.items() if owner.startswith(f"{Prefix.TICKET_TYPE}_")]
    return sum(c.sold for c in types), sum(c.capacity for c in types)


def event_buyer_limit(store: Store, event_id: str) -> int:
    """The tickets one buyer may have of the event now (RULES §11: lower once it sells
    fast), from one read of its ticket types' shards, as an order's is."""
    owners = {t.id: t.shards for t in store.catalog.ticket_types(event_id).values()}
    return per_user_limit(*_sold_share(store.inventory.of_owners(event_id, owners)))


def place_order(
    ports: Ports,
    buyer: Principal,
    event_id: str,
    items: Sequence[CartItem],
    *,
    voucher_code: str | None,
    attendee_email: str | None,
    stripe_key: Callable[[str], str],
    client: Client | None = None,
    now: datetime | None = None,
) -> PlacedOrder:
    """Hold the seats and open a PaymentIntent; ``stripe_key(operation)`` derives the
    Stripe idempotency key of each call from the client's key. ``client`` is who asks:
    its wrong voucher codes count against the same tries as quotes' (services/quote.py)."""
    now = now or datetime.now(UTC)
    if attendee_email is not None:
        attendee_email = normalize_email(attendee_email, field_name="attendee_email")
    priced = price_cart(event_id, items, voucher_code=voucher_code, client=client, now=now)
    return place_priced(
        ports, buyer, priced, attendee_email=attendee_email, stripe_key=stripe_key, now=now
    )


@dataclass
class _Placing:
    """The writes of the order's unit of work whose refusal the buyer is told about."""

    standing: Staged[BuyerStanding] | None = None
    voucher: Staged[Voucher] | None = None


def place_priced(
    ports: Ports,
    buyer: Principal,
    priced: PricedCart,
    *,
    attendee_email: str | None,
    stripe_key: Callable[[str], str],
    now: datetime,
    rng: random.Random | None = None,
) -> PlacedOrder:
    """Place the order of a cart priced by ``quote.price_cart``: one unit of work holds
    the seats, creates the order, takes the buyer's allowance and redeems the voucher.

    The order number is drawn before that unit of work, once the cart's own read of the
    shards shows the seats (a sold-out refusal spends none). A number drawn for an order
    that then loses the race for the last seats, or is refused for the buyer's limit or
    the voucher, is a gap in the year's numbers, never a repeat.
    """
    store = ports.store
    event, quote = priced.event, priced.quote
    lines = _lines(quote)
    quantity = sum(line.quantity for line in lines)
    # Every shard of the event in one read: the buyer's limit follows the whole event's
    # sales, and the hold plans from the same read first.
    stock = store.inventory.of_owners(event.id, priced.inventory_owners)
    sold, capacity = _sold_share(stock)
    limit = per_user_limit(sold, capacity)
    by_id: Mapping[str, TicketType] = {t.id: t for t in priced.cart.ticket_types}
    wanted = [(by_id[line.ticket_type_id], line.quantity) for line in lines]

    first = inventory_service.plan(store, event.id, wanted, stock=stock, rng=rng)
    number = format_order_number(now.year, store.order_numbers.draw(now.year))
    order_id = new_id(Prefix.ORDER, now=now)
    voucher = priced.voucher

    def order_at(allocation: Allocation, payment_intent_id: str | None = None) -> Order:
        return Order(
            id=order_id,
            number=number,
            buyer_id=buyer.user_id,
            event_id=event.id,
            status=OrderStatus.PENDING_PAYMENT,
            lines=lines,
            totals=_totals(quote),
            allocation=allocation,
            hold_expires_at=hold_expiry(now, event.hold_minutes),
            created_at=now,
            attendee_email=attendee_email,
            voucher_code=priced.voucher_code,
            amounts=_amounts(quote),
            shares=_shares(quote),
            payment_intent_id=payment_intent_id,
        )

    placing = _Placing()
    intent = None if quote.total == 0 else _open_payment_intent(ports, order_at(first), stripe_key)
    intent_id = intent.id if intent is not None else None

    def stage(uow: UnitOfWork, allocation: Allocation) -> None:
        order = order_at(allocation, intent_id)
        uow.orders.place(order)
        placing.standing = uow.standings.take(order, limit=limit, now=now)
        if voucher is not None:
            placing.voucher = uow.vouchers.redeem(voucher, quote.discount, now=now)

    try:
        allocation = inventory_service.hold(
            store, event.id, wanted, also=stage, first=first, rng=rng
        )
    except ChangeRefused as refused:
        _cancel_unused(ports, intent)
        _explain(refused, placing, quantity=quantity, limit=limit, now=now)
        raise
    except BaseException:
        _cancel_unused(ports, intent)
        raise
    order = order_at(allocation, intent_id)
    logger.append_keys(order_id=order.id)
    if intent is not None:
        return PlacedOrder(order=order, client_secret=intent.client_secret)
    try:
        paid = issuance.settle_free(ports, order, now=now)
    except DomainError:
        _give_back(ports, order, now, reason="not_placed")
        raise
    except Exception as error:
        # Not a refusal the buyer can act on (a bug, the store): the hold goes back, the
        # error is logged in full, the buyer may retry.
        logger.exception("free order not issued after its hold; hold given back")
        report_error(error)
        _give_back(ports, order, now, reason="not_placed")
        raise DependencyUnavailable("The order could not be placed; try again.") from error
    return PlacedOrder(order=paid, client_secret=None, tickets=tuple(tickets_of(ports, paid)))


def _open_payment_intent(ports: Ports, order: Order, stripe_key: Callable[[str], str]) -> Intent:
    """The order's PaymentIntent, before anything is held: its id goes in the hold's own
    transaction (no write after it), and Stripe away leaves no order behind."""
    try:
        # The order's id in the key: a retry after a timeout is a new order, whose
        # parameters Stripe would refuse under the first attempt's key.
        return ports.payments.create_payment_intent(
            order, idempotency_key=stripe_key(f"payment_intent.create:{order.id}")
        )
    except DomainError:
        raise
    except Exception as error:
        # Not a refusal the buyer can act on (Stripe refused our request, a bug): logged
        # in full, nothing was held, the buyer may retry.
        logger.exception("payment intent not created; nothing held")
        report_error(error)
        raise DependencyUnavailable("The order could not be placed; try again.") from error


def _cancel_unused(ports: Ports, intent: Intent | None) -> None:
    """Cancel the PaymentIntent of an order that was not placed. Nobody ever held its
    client secret, so it cannot be paid: one left open when Stripe is away is harmless.
    Its ``canceled`` webhook finds no order and is ignored. A hold whose outcome the store
    left unknown (a timeout) may still have been written: that order then carries a
    cancelled PaymentIntent, cannot be paid, and the sweeper ends it at its expiry."""
    if intent is None:
        return
    try:
        ports.payments.cancel_payment_intent(intent.id)
    except Exception:  # noqa: BLE001  (the refusal the buyer is told about matters more)
        logger.warning("payment intent of an order not placed left open", exc_info=True)


def _explain(
    refused: ChangeRefused, placing: _Placing, *, quantity: int, limit: int, now: datetime
) -> None:
    """The buyer's refusal, from the items as the refused unit of work found them: over
    the limit or cooling down (the standing), or the voucher used up."""
    if placing.standing is not None and refused.refused(placing.standing):
        standing = refused.as_was(placing.standing) or BuyerStanding()
        check_buyer_limits(standing, quantity, limit=limit, now=now)
        raise LimitExceeded(
            "The per-buyer limit for this event was reached; try again shortly.",
            errors=(FieldError("items", f"at most {limit} per buyer", "PER_BUYER_LIMIT"),),
        ) from None
    if placing.voucher is not None and refused.refused(placing.voucher):
        raise VoucherExhausted(
            "The code has no uses or budget left.",
            errors=(FieldError("voucher_code", "exhausted", VoucherExhausted.code),),
        ) from None


def _give_back(ports: Ports, order: Order, now: datetime, *, reason: str) -> None:
    """End the hold of a free order that failed to be issued: seats, allowance and voucher
    use return; failing that, the sweeper ends it at its expiry."""
    try:
        holds.end_hold(ports.store, order, OrderStatus.CANCELLED, reason=reason, now=now)
    except Exception as error:  # noqa: BLE001  (whatever failed, the sweeper is the guarantee)
        logger.exception("hold not given back; the sweeper releases it at expiry")
        if not isinstance(error, DependencyUnavailable):
            report_error(error)


# -------------------------------------------------------------------- reads
def order_for(ports: Ports, order_id: str, caller: Principal) -> Order:
    """The order if ``caller`` bought it, organizes its event, or is an admin; else 404."""
    order = ports.store.orders.get(order_id, consistent=False) if _is_order_id(order_id) else None
    if order is None or not _may_see(ports, order, caller):
        raise NotFound("No such order.")
    return order


def _is_order_id(text: str) -> bool:
    return is_id(text, Prefix.ORDER)


def _may_see(ports: Ports, order: Order, caller: Principal) -> bool:
    if caller.is_admin or order.buyer_id == caller.user_id:
        return True
    if not caller.has_any(Role.ORGANIZER):
        return False
    event = ports.store.catalog.event(order.event_id)
    return event is not None and caller.manages(event.owner_id)


def tickets_of(ports: Ports, order: Order) -> list[Ticket]:
    return ports.store.tickets.by_ids(order.ticket_ids) if order.ticket_ids else []


def mints_of(
    ports: Ports, order: Order, tickets: Sequence[Ticket]
) -> dict[str, TicketMint | AwaitedMint]:
    """How far each ticket's NFT has come (tickets without one left out)."""
    if not tickets:
        return {}
    records = {m.ticket_id: m for m in ports.store.mints.of_tickets([t.id for t in tickets])}
    nft_enabled = False
    if len(records) < len(tickets):  # the event matters only to tickets not taken up yet
        event = ports.store.catalog.event(order.event_id)
        nft_enabled = event is not None and event.nft_enabled
    standings = {
        t.id: mint_standing(t, records.get(t.id), nft_enabled=nft_enabled) for t in tickets
    }
    return {ticket_id: mint for ticket_id, mint in standings.items() if mint is not None}


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    next_cursor: str | None


def buyer_orders(ports: Ports, caller: Principal, *, limit: int, cursor: str | None) -> OrderPage:
    """One page of the caller's orders, newest first. A cursor is bound to its buyer."""
    filters = fingerprint({"buyer": caller.user_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    orders, last_key = ports.store.orders.page_of_buyer(
        caller.user_id, limit=limit, start_key=start
    )
    return OrderPage(
        orders=orders,
        next_cursor=encode_cursor(last_key, filters, cursor_key()) if last_key else None,
    )


# ------------------------------------------------------------------- cancel
def cancel_order(
    ports: Ports, order_id: str, caller: Principal, *, now: datetime | None = None
) -> Order:
    """The buyer gives up an unpaid order: its PaymentIntent is cancelled first (so it can
    no longer be paid), then the seats, allowance and voucher use go back."""
    now = now or datetime.now(UTC)
    order = ports.store.orders.get(order_id) if _is_order_id(order_id) else None
    if order is None or order.buyer_id != caller.user_id:
        raise NotFound("No such order.")
    if order.status is OrderStatus.CANCELLED:
        return order
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise InvalidTransition(f"An order that is {order.status.value} cannot be cancelled.")
    if order.payment_intent_id and not ports.payments.cancel_payment_intent(
        order.payment_intent_id
    ):
        raise InvalidTransition("The payment already went through; the order cannot be cancelled.")
    return holds.end_hold(
        ports.store, order, OrderStatus.CANCELLED, reason="cancelled_by_buyer", now=now
    )
