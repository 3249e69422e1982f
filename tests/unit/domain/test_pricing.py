"""Pricing: the buyer's total (RULES §2) and its exact split per ticket."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from admitone.domain.errors import (
    AmountOutOfRange,
    InvalidCart,
    InvalidVoucher,
    VoucherNotApplicable,
)
from admitone.domain.money import Currency
from admitone.domain.pricing import (
    FEE_TIER_BPS,
    AmountOff,
    CartLine,
    FeeTier,
    PercentOff,
    Quote,
    Voucher,
    all_in_price,
    quote,
    tier_for_trailing_gross,
)
from admitone.domain.tax import NO_TAX, TaxJurisdiction, TaxLine, VenueAddress, jurisdiction_for

FRANKLIN_TN = jurisdiction_for(VenueAddress(country="US", state="TN", city="Franklin"))
NASHVILLE_TN = jurisdiction_for(VenueAddress(country="US", state="TN", city="Nashville"))
CALIFORNIA = jurisdiction_for(VenueAddress(country="US", state="CA", city="Los Angeles"))


def assert_per_ticket_parts_sum_to_the_order(result: Quote) -> None:
    tickets = result.tickets
    assert sum(t.price for t in tickets) == result.subtotal
    assert sum(t.discount for t in tickets) == result.discount
    assert sum(t.platform_fee for t in tickets) == result.platform_fee
    assert sum(t.nft_fee for t in tickets) == result.nft_fee
    for index, order_tax in enumerate(result.taxes):
        shares = [t.taxes[index] for t in tickets]
        assert all((s.name, s.rate_bps) == (order_tax.name, order_tax.rate_bps) for s in shares)
        assert sum(s.amount for s in shares) == order_tax.amount
    assert sum(t.tax for t in tickets) == result.tax
    assert sum(t.total for t in tickets) == result.total


# RULES §2 worked examples


def test_two_starter_tickets_at_an_nft_event_in_franklin_cost_11845() -> None:
    result = quote(
        [CartLine("tt_ga", 5000, 2)], fee_tier=FeeTier.STARTER, tax=FRANKLIN_TN, nft=True
    )

    assert result.subtotal == 10000
    assert result.platform_fee == 820
    assert result.nft_fee == 100
    assert result.taxes == (
        TaxLine("Tennessee Sales Tax", 700, 700),
        TaxLine("Franklin Local Tax", 225, 225),
    )
    assert result.total == 11845
    assert_per_ticket_parts_sum_to_the_order(result)


def test_one_pro_ticket_at_an_nft_event_in_tennessee_costs_11765() -> None:
    result = quote([CartLine("tt_ga", 10000, 1)], fee_tier=FeeTier.PRO, tax=FRANKLIN_TN, nft=True)

    assert (result.platform_fee, result.nft_fee, result.tax) == (790, 50, 925)
    assert result.total == 11765


def test_nashville_tax_on_10000_is_1025() -> None:
    result = quote([CartLine("tt_ga", 10000, 1)], fee_tier=FeeTier.STARTER, tax=NASHVILLE_TN)

    assert [line.amount for line in result.taxes] == [700, 225, 100]
    assert result.tax == 1025
    assert result.total == 10000 + 820 + 1025


@pytest.mark.parametrize(
    ("lines", "tier", "expected_total"),
    [
        ([CartLine("tt", 10000, 1)], FeeTier.ENTERPRISE, 11725),
        ([CartLine("tt", 2599, 1)], FeeTier.STARTER, 3102),  # 213 + 50 + 182 + 58
        ([CartLine("tt", 4115, 3)], FeeTier.STARTER, 14649),  # 1012 + 150 + 864 + 278
    ],
)
def test_reference_fee_examples(lines: list[CartLine], tier: FeeTier, expected_total: int) -> None:
    assert quote(lines, fee_tier=tier, tax=FRANKLIN_TN, nft=True).total == expected_total


# the quote's shape


def test_a_quote_records_the_currency_tier_and_rate() -> None:
    result = quote(
        [CartLine("tt", 1000, 1)], fee_tier=FeeTier.PRO, tax=NO_TAX, currency=Currency.CAD
    )

    assert (result.currency, result.fee_tier, result.platform_fee_bps) == (
        Currency.CAD,
        FeeTier.PRO,
        790,
    )


def test_currency_defaults_to_usd_and_nft_to_off() -> None:
    result = quote([CartLine("tt", 1000, 2)], fee_tier=FeeTier.STARTER, tax=NO_TAX)

    assert result.currency is Currency.USD
    assert result.nft_fee == 0
    assert result.taxes == ()
    assert result.total == 2000 + 164


def test_there_is_one_ticket_share_per_unit_in_cart_order() -> None:
    result = quote(
        [CartLine("tt_ga", 3000, 2), CartLine("tt_vip", 9000, 1)],
        fee_tier=FeeTier.STARTER,
        tax=CALIFORNIA,
        nft=True,
    )

    assert [(t.line_index, t.ticket_type_id, t.price) for t in result.tickets] == [
        (0, "tt_ga", 3000),
        (0, "tt_ga", 3000),
        (1, "tt_vip", 9000),
    ]
    assert all(t.nft_fee == 50 for t in result.tickets)
    vip = result.tickets[2]
    assert vip.total == vip.price - vip.discount + vip.platform_fee + vip.nft_fee + vip.tax
    assert_per_ticket_parts_sum_to_the_order(result)


def test_a_leftover_cent_of_fee_goes_to_the_earlier_equal_ticket() -> None:
    # 3009 @ 790 bps = 237.711 -> 238, which three equal tickets cannot share evenly
    result = quote([CartLine("tt", 1003, 3)], fee_tier=FeeTier.PRO, tax=NO_TAX)

    assert result.platform_fee == 238
    assert [t.platform_fee for t in result.tickets] == [80, 79, 79]


def test_free_tickets_carry_no_fee_or_tax_but_still_the_nft_fee() -> None:
    result = quote(
        [CartLine("tt_free", 0, 2), CartLine("tt_paid", 5000, 1)],
        fee_tier=FeeTier.STARTER,
        tax=FRANKLIN_TN,
        nft=True,
    )

    free, _, paid = result.tickets
    assert (free.platform_fee, free.tax, free.nft_fee, free.total) == (0, 0, 50, 50)
    assert paid.platform_fee == result.platform_fee == 410
    assert_per_ticket_parts_sum_to_the_order(result)


# vouchers


def test_a_percent_voucher_discounts_the_subtotal_before_fee_and_tax() -> None:
    result = quote(
        [CartLine("tt", 5000, 2)],
        fee_tier=FeeTier.STARTER,
        tax=FRANKLIN_TN,
        voucher=PercentOff(1000),
    )

    assert result.discount == 1000
    assert result.taxable == 9000
    assert result.platform_fee == 738
    assert [line.amount for line in result.taxes] == [630, 203]  # 202.5 rounds up
    assert result.total == 9000 + 738 + 630 + 203
    assert [t.discount for t in result.tickets] == [500, 500]


def test_a_percent_discount_rounds_half_up() -> None:
    result = quote(
        [CartLine("tt", 50, 1)], fee_tier=FeeTier.STARTER, tax=NO_TAX, voucher=PercentOff(500)
    )

    assert result.discount == 3


def test_a_fixed_voucher_takes_its_amount_off() -> None:
    result = quote(
        [CartLine("tt", 3000, 1), CartLine("tt2", 1000, 1)],
        fee_tier=FeeTier.STARTER,
        tax=NO_TAX,
        voucher=AmountOff(1000),
    )

    assert result.discount == 1000
    assert [t.discount for t in result.tickets] == [750, 250]


def test_a_fixed_voucher_never_discounts_more_than_the_eligible_subtotal() -> None:
    result = quote(
        [CartLine("tt", 3000, 2)],
        fee_tier=FeeTier.STARTER,
        tax=FRANKLIN_TN,
        voucher=AmountOff(10000),
        nft=True,
    )

    assert result.discount == result.subtotal == 6000
    assert (result.platform_fee, result.tax) == (0, 0)
    assert result.total == result.nft_fee == 100
    assert all(t.total == 50 for t in result.tickets)
    assert_per_ticket_parts_sum_to_the_order(result)


def test_a_voucher_limited_to_some_ticket_types_discounts_only_those() -> None:
    result = quote(
        [CartLine("tt_ga", 4000, 1), CartLine("tt_vip", 10000, 2)],
        fee_tier=FeeTier.STARTER,
        tax=NO_TAX,
        voucher=AmountOff(15000, ticket_type_ids=frozenset({"tt_vip"})),
    )

    assert result.discount == 15000
    ga, vip_1, vip_2 = result.tickets
    assert (ga.discount, vip_1.discount, vip_2.discount) == (0, 7500, 7500)
    assert result.platform_fee == 738  # on 24000 - 15000
    assert (ga.platform_fee, vip_1.platform_fee, vip_2.platform_fee) == (328, 205, 205)
    assert_per_ticket_parts_sum_to_the_order(result)


def test_a_limited_percent_voucher_applies_to_the_eligible_subtotal_only() -> None:
    result = quote(
        [CartLine("tt_ga", 4000, 1), CartLine("tt_vip", 10000, 1)],
        fee_tier=FeeTier.STARTER,
        tax=NO_TAX,
        voucher=PercentOff(2500, ticket_type_ids=frozenset({"tt_ga"})),
    )

    assert result.discount == 1000
    assert [t.discount for t in result.tickets] == [1000, 0]


@pytest.mark.parametrize(
    "voucher",
    [
        PercentOff(1000, ticket_type_ids=frozenset({"tt_other"})),
        AmountOff(500, ticket_type_ids=frozenset()),
        AmountOff(500, ticket_type_ids=frozenset({"tt_free"})),
    ],
    ids=["other ticket type", "no ticket types", "only free tickets"],
)
def test_a_voucher_that_applies_to_no_priced_ticket_is_refused(voucher: Voucher) -> None:
    with pytest.raises(VoucherNotApplicable) as raised:
        quote(
            [CartLine("tt_ga", 4000, 1), CartLine("tt_free", 0, 1)],
            fee_tier=FeeTier.STARTER,
            tax=NO_TAX,
            voucher=voucher,
        )

    assert raised.value.code == "VOUCHER_NOT_APPLICABLE"


@pytest.mark.parametrize("bps", [0, -1, 10001])
def test_a_percent_voucher_must_be_between_one_bps_and_everything(bps: int) -> None:
    with pytest.raises(InvalidVoucher) as raised:
        PercentOff(bps)

    assert raised.value.errors[0].field == "voucher.bps"


@pytest.mark.parametrize("cents", [0, -5, 100_000_000])
def test_a_fixed_voucher_must_be_a_chargeable_amount(cents: int) -> None:
    with pytest.raises(InvalidVoucher) as raised:
        AmountOff(cents)

    assert raised.value.code == "VOUCHER_INVALID"
    assert raised.value.errors[0].field == "voucher.cents"


def test_a_full_percent_voucher_makes_the_tickets_free() -> None:
    result = quote(
        [CartLine("tt", 2500, 3)], fee_tier=FeeTier.PRO, tax=NASHVILLE_TN, voucher=PercentOff(10000)
    )

    assert result.discount == 7500
    assert result.total == 0


# cart validation


def test_an_empty_cart_is_refused() -> None:
    with pytest.raises(InvalidCart) as raised:
        quote([], fee_tier=FeeTier.STARTER, tax=NO_TAX)

    assert [e.field for e in raised.value.errors] == ["lines"]


def test_every_bad_line_field_is_reported_at_once() -> None:
    lines = [
        CartLine("tt_a", 1000, 0),
        CartLine("tt_b", -1, 1),
        CartLine("tt_c", 100_000_000, 11),
        CartLine("tt_d", 1000, 10),
    ]

    with pytest.raises(InvalidCart) as raised:
        quote(lines, fee_tier=FeeTier.STARTER, tax=NO_TAX)

    assert raised.value.code == "CART_INVALID"
    assert [e.field for e in raised.value.errors] == [
        "lines[0].quantity",
        "lines[1].unit_price_cents",
        "lines[2].quantity",
        "lines[2].unit_price_cents",
    ]


def test_a_total_beyond_one_payment_is_refused() -> None:
    lines = [CartLine(f"tt_{i}", 99_999_999, 10) for i in range(2)]

    with pytest.raises(AmountOutOfRange) as raised:
        quote(lines, fee_tier=FeeTier.STARTER, tax=NO_TAX)

    assert raised.value.errors[0].field == "total"


def test_a_total_of_exactly_the_maximum_is_accepted() -> None:
    # taxable 92_421_441 + fee 7_578_558 (820 bps) = 99_999_999
    result = quote(
        [CartLine("tt", 99_999_999, 1)],
        fee_tier=FeeTier.STARTER,
        tax=NO_TAX,
        voucher=AmountOff(7_578_558),
    )

    assert result.total == 99_999_999


# fee tiers


def test_fee_tier_rates() -> None:
    assert dict(FEE_TIER_BPS) == {
        FeeTier.STARTER: 820,
        FeeTier.PRO: 790,
        FeeTier.ENTERPRISE: 750,
    }


@pytest.mark.parametrize(
    ("gross_cents", "tier"),
    [
        (0, FeeTier.STARTER),
        (999_999, FeeTier.STARTER),
        (1_000_000, FeeTier.PRO),
        (10_000_000, FeeTier.PRO),
        (10_000_001, FeeTier.ENTERPRISE),
    ],
)
def test_the_tier_follows_trailing_30_day_gross(gross_cents: int, tier: FeeTier) -> None:
    assert tier_for_trailing_gross(gross_cents) is tier


def test_an_admin_pinned_tier_wins_over_gross() -> None:
    assert tier_for_trailing_gross(0, pinned=FeeTier.ENTERPRISE) is FeeTier.ENTERPRISE
    assert tier_for_trailing_gross(50_000_000, pinned=FeeTier.STARTER) is FeeTier.STARTER


# properties

TICKET_TYPES = ("tt_a", "tt_b", "tt_c")
cart_lines = st.lists(
    st.builds(
        CartLine,
        ticket_type_id=st.sampled_from(TICKET_TYPES),
        unit_price_cents=st.integers(min_value=0, max_value=1_000_000),
        quantity=st.integers(min_value=1, max_value=10),
    ),
    min_size=1,
    max_size=5,
)
limited_to = st.none() | st.frozensets(st.sampled_from(TICKET_TYPES), min_size=1)
vouchers = st.none() | st.one_of(
    st.builds(PercentOff, bps=st.integers(1, 10000), ticket_type_ids=limited_to),
    st.builds(AmountOff, cents=st.integers(1, 20_000_000), ticket_type_ids=limited_to),
)
jurisdictions = st.sampled_from([NO_TAX, FRANKLIN_TN, NASHVILLE_TN, CALIFORNIA])


@given(
    lines=cart_lines,
    tier=st.sampled_from(FeeTier),
    tax=jurisdictions,
    voucher=vouchers,
    nft=st.booleans(),
)
def test_per_ticket_parts_always_sum_to_each_order_component(
    lines: list[CartLine],
    tier: FeeTier,
    tax: TaxJurisdiction,
    voucher: Voucher | None,
    nft: bool,
) -> None:
    if voucher is not None:
        allowed = voucher.ticket_type_ids
        eligible = sum(
            line.unit_price_cents * line.quantity
            for line in lines
            if allowed is None or line.ticket_type_id in allowed
        )
        assume(eligible > 0)

    result = quote(lines, fee_tier=tier, tax=tax, voucher=voucher, nft=nft)

    assert len(result.tickets) == sum(line.quantity for line in lines)
    assert 0 <= result.discount <= result.subtotal
    assert result.total == (
        result.subtotal - result.discount + result.platform_fee + result.nft_fee + result.tax
    )
    assert result.taxes == tax.lines_for(result.taxable)
    assert_per_ticket_parts_sum_to_the_order(result)
    for ticket in result.tickets:
        assert 0 <= ticket.discount <= ticket.price
        assert ticket.platform_fee >= 0
        assert all(share.amount >= 0 for share in ticket.taxes)
        assert ticket.total >= 0


@given(
    price=st.integers(min_value=0, max_value=1_000_000),
    tier=st.sampled_from(list(FeeTier)),
    nft=st.booleans(),
)
def test_the_all_in_price_is_what_a_quote_of_that_one_ticket_charges_before_tax(
    price: int, tier: FeeTier, nft: bool
):
    one = quote([CartLine("tt", price, 1)], fee_tier=tier, tax=NO_TAX, nft=nft)
    assert all_in_price(price, fee_tier=tier, nft=nft) == one.total
