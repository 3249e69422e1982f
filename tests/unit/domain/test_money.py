"""Money: the half-up rounding rule, largest-remainder allocation, currencies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.errors import (
    AmountOutOfRange,
    BelowMinimumCharge,
    UnsupportedCurrency,
    ValidationFailed,
)
from admitone.domain.money import (
    CURRENCIES,
    MIN_CHARGE_CENTS,
    Currency,
    allocate,
    check_chargeable,
    format_money,
    parse_currency,
    percent_of,
    validate_amount,
)

# percent_of


@pytest.mark.parametrize(
    ("cents", "bps", "expected"),
    [
        (1050, 700, 74),  # 73.5 rounds up
        (50, 500, 3),  # 2.5 rounds up, where round() would give 2
        (10000, 820, 820),
        (2599, 225, 58),
        (0, 700, 0),
        (12345, 0, 0),
        (-50, 500, -3),  # ties move away from zero, as Decimal ROUND_HALF_UP does
        (-1049, 700, -73),
    ],
)
def test_percent_of_rounds_half_up(cents: int, bps: int, expected: int) -> None:
    assert percent_of(cents, bps) == expected


def test_percent_of_never_uses_bankers_rounding() -> None:
    # 72.5 -> 73 half up; Python's round() would give 72.
    assert percent_of(1450, 500) == 73
    assert round(1450 * 500 / 10000) == 72


@given(
    cents=st.integers(min_value=-(10**15), max_value=10**15),
    bps=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_percent_of_equals_decimal_round_half_up_for_all_inputs(cents: int, bps: int) -> None:
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(cents) * Decimal(bps) / Decimal(10000)
        expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert percent_of(cents, bps) == expected


def test_percent_of_returns_an_int() -> None:
    assert type(percent_of(1050, 700)) is int


# allocate


def test_allocate_splits_proportionally() -> None:
    assert allocate(10000, [5000, 3000, 2000]) == [5000, 3000, 2000]


def test_allocate_gives_leftover_cents_to_the_largest_remainders() -> None:
    # exact shares 1666.67 / 3333.33: the larger remainder takes the cent
    assert allocate(5000, [1, 2]) == [1667, 3333]


def test_allocate_breaks_equal_remainders_by_earlier_position() -> None:
    assert allocate(2000, [1, 1, 1]) == [667, 667, 666]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_allocate_gives_nothing_to_zero_weights() -> None:
    assert allocate(101, [0, 1, 0, 1]) == [0, 51, 0, 50]


def test_allocate_splits_evenly_when_every_weight_is_zero() -> None:
    assert allocate(10, [0, 0, 0]) == [4, 3, 3]


def test_allocate_of_zero_is_all_zeros() -> None:
    assert allocate(0, [3, 0, 7]) == [0, 0, 0]
    assert allocate(0, [0, 0]) == [0, 0]


def test_allocate_accepts_any_sequence_without_changing_it() -> None:
    weights = (2, 1)
    assert allocate(3, weights) == [2, 1]
    assert weights == (2, 1)


@pytest.mark.parametrize(
    ("total", "weights"),
    [(-1, [1]), (1, []), (1, [1, -1])],
    ids=["negative total", "no weights", "negative weight"],
)
def test_allocate_rejects_impossible_requests(total: int, weights: list[int]) -> None:
    with pytest.raises(ValueError, match=r"allocate|weights"):
        allocate(total, weights)


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
)
def test_allocation_always_sums_exactly_and_is_never_negative(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)

    assert sum(parts) == total
    assert len(parts) == len(weights)
    assert all(part >= 0 for part in parts)


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
)
def test_allocation_parts_are_within_one_cent_of_their_exact_share(
    total: int, weights: list[int]
) -> None:
    effective = weights if any(weights) else [1] * len(weights)
    whole = sum(effective)
    for part, weight in zip(allocate(total, weights), effective, strict=True):
        floor = total * weight // whole
        assert floor <= part <= floor + 1
        if weight == 0:
            assert part == 0


# currencies


def test_currency_table_holds_the_four_supported_currencies_with_two_minor_units() -> None:
    assert set(CURRENCIES) == {Currency.USD, Currency.EUR, Currency.GBP, Currency.CAD}
    assert all(spec.minor_units == 2 for spec in CURRENCIES.values())
    assert all(code is spec.code for code, spec in CURRENCIES.items())


def test_parse_currency_defaults_to_usd() -> None:
    assert parse_currency() is Currency.USD
    assert parse_currency(None) is Currency.USD


@pytest.mark.parametrize("code", ["eur", " EUR ", "Eur"])
def test_parse_currency_ignores_case_and_padding(code: str) -> None:
    assert parse_currency(code) is Currency.EUR


@pytest.mark.parametrize("code", ["JPY", "", "US", "usd1"])
def test_parse_currency_rejects_unsupported_codes(code: str) -> None:
    with pytest.raises(UnsupportedCurrency) as raised:
        parse_currency(code, field="body.currency")

    assert raised.value.code == "CURRENCY_UNSUPPORTED"
    assert isinstance(raised.value, ValidationFailed)
    assert raised.value.errors[0].field == "body.currency"


@pytest.mark.parametrize("cents", [1, 11845, 99_999_999])
def test_validate_amount_accepts_the_chargeable_range(cents: int) -> None:
    assert validate_amount(cents) == cents


@pytest.mark.parametrize("cents", [0, -1, 100_000_000])
def test_validate_amount_rejects_amounts_outside_one_to_99_999_999(cents: int) -> None:
    with pytest.raises(AmountOutOfRange) as raised:
        validate_amount(cents, field="amount_cents")

    assert raised.value.code == "AMOUNT_OUT_OF_RANGE"
    assert raised.value.errors[0].field == "amount_cents"


# formatting


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (11845, "USD", "$118.45"),
        (5, "USD", "$0.05"),
        (0, "USD", "$0.00"),
        (123456789, "USD", "$1,234,567.89"),
        (-150, "USD", "-$1.50"),
        (123450, "EUR", "€1,234.50"),
        (999, "GBP", "£9.99"),
        (2500, "CAD", "CA$25.00"),
        (2500, "cad", "CA$25.00"),
    ],
)
def test_format_money_uses_the_currency_symbol_and_two_decimals(
    cents: int, currency: str, expected: str
) -> None:
    assert format_money(cents, currency) == expected


def test_format_money_defaults_to_usd() -> None:
    assert format_money(11845) == "$118.45"


def test_format_money_rejects_an_unsupported_currency() -> None:
    with pytest.raises(UnsupportedCurrency):
        format_money(100, "JPY")


# ------------------------------------------------------------ minimum charge
@pytest.mark.parametrize(
    ("currency", "minimum"),
    [(Currency.USD, 50), (Currency.EUR, 50), (Currency.GBP, 30), (Currency.CAD, 50)],
)
def test_every_currency_has_stripes_minimum_charge(currency: Currency, minimum: int) -> None:
    assert MIN_CHARGE_CENTS[currency] == minimum
    check_chargeable(0, currency)  # free: nothing to charge
    check_chargeable(minimum, currency)
    with pytest.raises(BelowMinimumCharge) as refused:
        check_chargeable(minimum - 1, currency)
    assert refused.value.errors[0].field == "total"
    assert refused.value.errors[0].code == "BELOW_MINIMUM_CHARGE"
    assert f"{minimum} cents" in refused.value.errors[0].message


def test_a_30_cent_usd_total_is_refused_naming_the_50_cent_minimum() -> None:
    with pytest.raises(BelowMinimumCharge) as refused:
        check_chargeable(30, Currency.USD, field="total_cents")
    assert "$0.50" in refused.value.detail
    assert refused.value.errors[0].field == "total_cents"
