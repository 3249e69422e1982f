"""Placing an order on the fakes: one unit of work holds the seats, creates the order,
counts the buyer's allowance and redeems the voucher; a refusal says why from the items
as the unit of work found them; whatever fails after the hold gives it back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.errors import DependencyUnavailable, LimitExceeded, SoldOut, VoucherExhausted
from admitone.domain.orders import (
    PER_USER_EVENT_LIMIT,
    BuyerStanding,
    OrderStatus,
    PaymentStatus,
)
from admitone.services.orders import PlacedOrder, place_priced
from admitone.services.quote import PricedCart
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys

__all__ = ["signing_keys"]  # the fixture, used by every test here


@pytest.fixture
def shop() -> Shop:
    shop = open_shop()
    shop.ticket_type("ga", price_cents=5000, capacity=10, shards=2)
    return shop


def place(
    shop: Shop,
    items: dict[str, int],
    *,
    buyer_id: str | None = None,
    priced: PricedCart | None = None,
    **cart: str,
) -> PlacedOrder:
    buyer = a_buyer()
    if buyer_id is not None:
        buyer = replace(buyer, user_id=buyer_id)
    return place_priced(
        shop.ports,
        buyer,
        priced or shop.priced(items, **cart),
        attendee_email=None,
        stripe_key=lambda operation: f"test-{operation}",
        now=NOW,
    )


def test_an_order_holds_its_seats_counts_the_allowance_and_opens_a_payment_intent(shop: Shop):
    placed = place(shop, {"ga": 3})

    order = placed.order
    assert (order.status, order.quantity, order.number) == (
        OrderStatus.PENDING_PAYMENT,
        3,
        "A1-2026-000001",
    )
    assert shop.seats("ga") == (7, 3, 0)
    assert shop.store.orders.standing(order.buyer_id, shop.event.id) == BuyerStanding(tickets=3)
    stored = shop.store.orders.get(order.id)
    assert stored is not None
    assert stored.payment_intent_id == order.payment_intent_id
    assert placed.client_secret == shop.payments.intents[order.payment_intent_id].client_secret
    assert shop.payments.intents[order.payment_intent_id].amount == order.totals.total


def test_a_voucher_is_redeemed_in_the_same_unit_and_refused_once_used_up(shop: Shop):
    shop.voucher("ONCE", max_uses=1)
    # Two buyers priced their carts while the code still had its use.
    first_cart = shop.priced({"ga": 1}, voucher_code="ONCE")
    second_cart = shop.priced({"ga": 1}, voucher_code="ONCE")
    first = place(shop, {}, priced=first_cart)
    assert first.order.totals.discount == 500
    assert shop.store.catalog.voucher(shop.event.id, "ONCE").uses == 1  # type: ignore[union-attr]

    with pytest.raises(VoucherExhausted):
        place(shop, {}, priced=second_cart)
    assert shop.seats("ga") == (9, 1, 0)


def test_a_buyer_over_the_limit_is_told_how_many_are_left(shop: Shop):
    shop.store.orders.standings[("usr_full", shop.event.id)] = BuyerStanding(
        tickets=PER_USER_EVENT_LIMIT - 1
    )

    with pytest.raises(LimitExceeded) as refused:
        place(shop, {"ga": 2}, buyer_id="usr_full")

    assert refused.value.errors[0].code == "PER_BUYER_LIMIT"
    assert "1 left for you" in str(refused.value)
    assert shop.seats("ga") == (10, 0, 0)
    assert shop.store.orders.by_id == {}


def test_a_buyer_cooling_down_is_told_so_not_that_the_limit_is_reached(shop: Shop):
    shop.store.orders.standings[("usr_cool", shop.event.id)] = BuyerStanding(
        tickets=1, cooldown_until=NOW + timedelta(seconds=30)
    )

    with pytest.raises(LimitExceeded) as refused:
        place(shop, {"ga": 1}, buyer_id="usr_cool")

    assert refused.value.errors[0].code == "PURCHASE_COOLDOWN"
    assert shop.seats("ga") == (10, 0, 0)


def test_a_cart_the_read_shows_sold_out_spends_no_order_number(shop: Shop):
    shop.ticket_type("vip", price_cents=9000, capacity=2)
    with pytest.raises(SoldOut):
        place(shop, {"vip": 3})

    assert shop.store.order_numbers.draw(NOW.year) == 1


def test_a_refused_order_leaves_a_gap_in_the_numbers_never_a_repeat(shop: Shop):
    shop.store.orders.standings[("usr_full", shop.event.id)] = BuyerStanding(
        tickets=PER_USER_EVENT_LIMIT
    )
    with pytest.raises(LimitExceeded):
        place(shop, {"ga": 1}, buyer_id="usr_full")

    assert place(shop, {"ga": 1}).order.number == "A1-2026-000002"


def test_stripe_away_leaves_no_order_at_all(shop: Shop):
    # The PaymentIntent is made before the hold, whose transaction writes its id: Stripe
    # away, nothing was held, so there is no order to cancel (there used to be one,
    # cancelled as payment_provider_unavailable, with an order.cancelled announcement).
    shop.voucher("ONCE", max_uses=1)
    shop.payments.fail_next()

    with pytest.raises(DependencyUnavailable):
        place(shop, {"ga": 2}, voucher_code="ONCE", buyer_id="usr_1")

    assert shop.seats("ga") == (10, 0, 0)
    assert shop.store.orders.standing("usr_1", shop.event.id).tickets == 0
    assert shop.store.catalog.voucher(shop.event.id, "ONCE").uses == 0  # type: ignore[union-attr]
    assert shop.store.orders.by_id == {}
    assert shop.store.outbox.pending(limit=10) == []


def test_a_refused_hold_cancels_the_payment_intent_it_would_have_carried(shop: Shop):
    shop.store.orders.standings[("usr_full", shop.event.id)] = BuyerStanding(
        tickets=PER_USER_EVENT_LIMIT
    )

    with pytest.raises(LimitExceeded):
        place(shop, {"ga": 1}, buyer_id="usr_full")

    (intent,) = shop.payments.intents.values()
    assert intent.status is PaymentStatus.CANCELED
    assert shop.store.orders.by_id == {}


def test_the_order_is_written_with_its_payment_intent_in_the_hold_itself(shop: Shop):
    placed = place(shop, {"ga": 1})

    (intent,) = shop.payments.intents.values()
    assert placed.order.payment_intent_id == intent.id
    assert shop.store.orders.by_id[placed.order.id].payment_intent_id == intent.id
    assert intent.order_id == placed.order.id


def test_a_free_order_is_paid_at_once_with_its_tickets(shop: Shop):
    shop.ticket_type("guest", price_cents=0, capacity=4)

    placed = place(shop, {"guest": 2})

    assert placed.client_secret is None
    assert placed.order.status is OrderStatus.PAID
    assert placed.order.payment_status is PaymentStatus.SUCCEEDED
    assert [t.id for t in placed.tickets] == list(placed.order.ticket_ids)
    assert shop.seats("guest") == (2, 0, 2)
    assert shop.payments.intents == {}
