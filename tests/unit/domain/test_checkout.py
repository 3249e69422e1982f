"""What may be bought: sale windows, visibility, per-order limits and vouchers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.catalog import (
    Category,
    Event,
    EventStatus,
    TicketType,
    Voucher,
    VoucherKind,
)
from admitone.domain.checkout import CartItem, check_cart
from admitone.domain.errors import (
    InvalidVoucher,
    LimitExceeded,
    NotFound,
    SalesClosed,
    VoucherNotApplicable,
)
from admitone.domain.money import Currency
from admitone.domain.pricing import AmountOff, PercentOff

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
EVENT = Event(
    id="evt_1",
    venue_id="ven_1",
    owner_id="usr_1",
    title="Gala",
    description="",
    category=Category.MUSIC,
    starts_at=NOW + timedelta(days=10),
    ends_at=NOW + timedelta(days=10, hours=3),
    timezone="America/Chicago",
    city="Nashville",
    currency=Currency.USD,
    sales_start=NOW - timedelta(days=1),
    sales_end=NOW + timedelta(days=10),
    registration_deadline=NOW + timedelta(days=3),
    created_at=NOW - timedelta(days=2),
    status=EventStatus.PUBLISHED,
)
GA = TicketType(
    id="tty_ga", event_id="evt_1", name="GA", price_cents=5000, currency=Currency.USD, capacity=100
)
VIP = replace(GA, id="tty_vip", name="VIP", price_cents=15000, hidden=True)
TYPES = {GA.id: GA, VIP.id: VIP}


def check(items, *, event=EVENT, types=TYPES, voucher=None, code=None):
    return check_cart(event, types, items, voucher=voucher, voucher_code=code, now=NOW)


def test_a_valid_cart_becomes_priced_lines():
    cart = check([CartItem("tty_ga", 2)])
    assert [(line.ticket_type_id, line.unit_price_cents, line.quantity) for line in cart.lines] == [
        ("tty_ga", 5000, 2)
    ]
    assert cart.discount is None


@pytest.mark.parametrize("event", [None, replace(EVENT, status=EventStatus.DRAFT)])
def test_an_event_that_is_not_published_does_not_exist_for_buyers(event):
    with pytest.raises(NotFound):
        check([CartItem("tty_ga", 1)], event=event)


@pytest.mark.parametrize(
    "event",
    [replace(EVENT, sales_start=NOW + timedelta(hours=1)), replace(EVENT, sales_end=NOW)],
)
def test_outside_the_sale_window_nothing_is_sold(event):
    with pytest.raises(SalesClosed):
        check([CartItem("tty_ga", 1)], event=event)


# A token's expiry (a day after the event ends) is 32-bit Unix seconds: 2106-02-07 06:28:15.
LAST_CARRIED_END = datetime(2106, 2, 6, 6, 28, 15, tzinfo=UTC)


def test_an_event_ending_on_the_last_day_a_token_can_carry_is_sold():
    assert check([CartItem("tty_ga", 1)], event=replace(EVENT, ends_at=LAST_CARRIED_END)).lines


@pytest.mark.parametrize(
    "ends_at", [LAST_CARRIED_END + timedelta(seconds=1), datetime(9999, 12, 31, tzinfo=UTC)]
)
def test_an_event_stored_ending_beyond_what_a_token_carries_is_not_on_sale(ends_at):
    # Stored before RULES §4's window: no ticket could be issued for the money taken.
    with pytest.raises(SalesClosed) as closed:
        check([CartItem("tty_ga", 1)], event=replace(EVENT, ends_at=ends_at))
    assert closed.value.code == "SALES_CLOSED"


def test_a_ticket_type_with_its_own_closed_window_is_not_sold():
    early = replace(GA, sales_end=NOW - timedelta(minutes=1))
    with pytest.raises(SalesClosed) as closed:
        check([CartItem("tty_ga", 1)], types={"tty_ga": early})
    assert closed.value.errors[0].field == "items[0].ticket_type_id"


def test_hidden_and_unknown_types_look_the_same_without_an_access_code():
    with pytest.raises(LimitExceeded) as refused:
        check([CartItem("tty_vip", 1), CartItem("tty_nope", 1)])
    assert [e.field for e in refused.value.errors] == [
        "items[0].ticket_type_id",
        "items[1].ticket_type_id",
    ]


def test_an_access_code_unlocks_the_hidden_types_it_names():
    access = Voucher(
        event_id="evt_1", code="VIP", kind=VoucherKind.ACCESS, value=0, ticket_type_ids=("tty_vip",)
    )
    cart = check([CartItem("tty_vip", 1)], voucher=access, code="VIP")
    assert cart.ticket_types == (VIP,)
    assert cart.discount is None
    unlock_all = replace(access, ticket_type_ids=())
    assert check([CartItem("tty_vip", 1)], voucher=unlock_all, code="VIP").lines


def test_quantities_respect_the_line_and_per_order_limits():
    with pytest.raises(LimitExceeded) as refused:
        check(
            [
                CartItem("tty_ga", 0),
                CartItem("tty_ga", 11),
                CartItem("tty_ga", 3),
                CartItem("tty_ga", 2),
            ]
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("items[0].quantity", "OUT_OF_RANGE"),
        ("items[1].quantity", "OUT_OF_RANGE"),
        ("items[3].quantity", "PURCHASE_LIMIT_EXCEEDED"),  # 3 + 2 > 4 per order
    ]


@pytest.mark.parametrize(
    "voucher",
    [
        None,
        Voucher(
            event_id="evt_1",
            code="X",
            kind=VoucherKind.PERCENT,
            value=1000,
            valid_from=NOW + timedelta(hours=1),
        ),
        Voucher(event_id="evt_1", code="X", kind=VoucherKind.PERCENT, value=1000, valid_to=NOW),
        Voucher(
            event_id="evt_1", code="X", kind=VoucherKind.PERCENT, value=1000, max_uses=2, uses=2
        ),
    ],
)
def test_an_unknown_expired_or_used_up_code_is_refused(voucher):
    with pytest.raises(InvalidVoucher):
        check([CartItem("tty_ga", 1)], voucher=voucher, code="X")


def test_discount_codes_become_pricing_discounts_for_their_ticket_types():
    percent = Voucher(
        event_id="evt_1",
        code="TEN",
        kind=VoucherKind.PERCENT,
        value=1000,
        valid_from=NOW - timedelta(days=1),
        valid_to=NOW + timedelta(days=1),
    )
    assert check([CartItem("tty_ga", 1)], voucher=percent, code="TEN").discount == PercentOff(
        bps=1000, ticket_type_ids=None
    )
    fixed = Voucher(
        event_id="evt_1",
        code="FIVE",
        kind=VoucherKind.FIXED,
        value=500,
        ticket_type_ids=("tty_ga",),
    )
    assert check([CartItem("tty_ga", 1)], voucher=fixed, code="FIVE").discount == AmountOff(
        cents=500, ticket_type_ids=frozenset({"tty_ga"})
    )


def test_a_code_for_other_ticket_types_does_not_apply():
    other = Voucher(
        event_id="evt_1",
        code="VIPONLY",
        kind=VoucherKind.FIXED,
        value=500,
        ticket_type_ids=("tty_vip",),
    )
    with pytest.raises(VoucherNotApplicable):
        check([CartItem("tty_ga", 1)], voucher=other, code="VIPONLY")
