"""Money: integer cents, basis-point rates, the one rounding rule, allocation, currencies.

Invariants:
- Amounts are ``int`` cents and rates are ``int`` basis points; no float ever touches money.
- ``percent_of`` is the only place a fractional cent is rounded (half up, component by
  component); ``allocate`` is the only way a whole is split, and its parts always sum
  exactly to the whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from admitone.domain.errors import (
    AmountOutOfRange,
    BelowMinimumCharge,
    FieldError,
    UnsupportedCurrency,
)

BPS_PER_WHOLE = 10_000
MIN_AMOUNT_CENTS = 1
MAX_AMOUNT_CENTS = 99_999_999


def percent_of(cents: int, bps: int) -> int:
    """``cents * bps / 10000`` rounded half up, exactly, with integer arithmetic.

    Ties round away from zero (``decimal.ROUND_HALF_UP``): 1050 @ 700 -> 74,
    50 @ 500 -> 3, -50 @ 500 -> -3. Python's ``round()`` would give banker's rounding.
    """
    product = cents * bps
    magnitude = (abs(product) + BPS_PER_WHOLE // 2) // BPS_PER_WHOLE
    return magnitude if product >= 0 else -magnitude


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` by largest remainder.

    Invariants: the parts sum exactly to ``total``, every part is >= 0, and each part
    is its exact share rounded down or up by at most one cent. Leftover cents go to the
    largest remainders; equal remainders go to the earlier position, so the result is
    deterministic. A zero weight gets nothing unless every weight is zero, in which case
    the total is split evenly. Raises ``ValueError`` for a negative total or weight, or
    no weights at all: those are programming errors, not user input.
    """
    if total < 0:
        raise ValueError(f"cannot allocate a negative total: {total}")
    if not weights:
        raise ValueError("cannot allocate over no weights")
    if any(weight < 0 for weight in weights):
        raise ValueError(f"weights must be non-negative: {list(weights)}")
    shares = list(weights) if any(weights) else [1] * len(weights)
    whole = sum(shares)
    parts = [total * share // whole for share in shares]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(total * shares[i] % whole), i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts


class Currency(StrEnum):
    USD = "USD"
    EUR = "EUR"
    GBP = "GBP"
    CAD = "CAD"


DEFAULT_CURRENCY = Currency.USD


@dataclass(frozen=True)
class CurrencySpec:
    code: Currency
    symbol: str
    minor_units: int


CURRENCIES: Mapping[Currency, CurrencySpec] = MappingProxyType(
    {
        Currency.USD: CurrencySpec(Currency.USD, "$", 2),
        Currency.EUR: CurrencySpec(Currency.EUR, "€", 2),
        Currency.GBP: CurrencySpec(Currency.GBP, "£", 2),
        # "CA$" so a Canadian price is never mistaken for a US one.
        Currency.CAD: CurrencySpec(Currency.CAD, "CA$", 2),
    }
)


def parse_currency(code: str | None = None, *, field: str = "currency") -> Currency:
    """The supported currency for an ISO 4217 code (any case, padded); None -> USD.

    Raises ``UnsupportedCurrency`` for anything else.
    """
    if code is None:
        return DEFAULT_CURRENCY
    normalized = code.strip().upper()
    try:
        return Currency(normalized)
    except ValueError:
        supported = ", ".join(CURRENCIES)
        raise UnsupportedCurrency(
            f"Currency {code!r} is not supported; use one of {supported}.",
            errors=(FieldError(field, f"must be one of {supported}", UnsupportedCurrency.code),),
        ) from None


def validate_amount(cents: int, *, field: str = "amount") -> int:
    """Return ``cents`` if it is a chargeable amount (1..99,999,999), else raise
    ``AmountOutOfRange``."""
    if not MIN_AMOUNT_CENTS <= cents <= MAX_AMOUNT_CENTS:
        message = f"must be between {MIN_AMOUNT_CENTS} and {MAX_AMOUNT_CENTS} cents"
        raise AmountOutOfRange(
            f"Amount {cents} is out of range: it {message}.",
            errors=(FieldError(field, message, AmountOutOfRange.code),),
        )
    return cents


# Stripe's minimum charge per currency (RULES §4; Stripe's docs, "Currencies", minimum and
# maximum charge amounts): Stripe refuses a payment of less, so no order of less is placed.
MIN_CHARGE_CENTS: Mapping[Currency, int] = MappingProxyType(
    {Currency.USD: 50, Currency.EUR: 50, Currency.GBP: 30, Currency.CAD: 50}
)


def check_chargeable(total: int, currency: Currency, *, field: str = "total") -> None:
    """Refuse a total that is neither free (0) nor at least Stripe's minimum charge in
    ``currency``: ``BelowMinimumCharge``, naming the minimum. A zero total needs no
    payment at all (RULES §4)."""
    minimum = MIN_CHARGE_CENTS[currency]
    if 0 < total < minimum:
        shown = format_money(minimum, currency)
        raise BelowMinimumCharge(
            f"The total {format_money(total, currency)} is below the smallest card charge,"
            f" {shown} in {currency.value}: it can be free or at least that, not in between.",
            errors=(
                FieldError(
                    field,
                    f"must be 0 or at least {minimum} cents ({shown})",
                    BelowMinimumCharge.code,
                ),
            ),
        )


def format_money(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """Display form: ``format_money(11845, "USD") == "$118.45"``, ``-€1,234.50``."""
    spec = CURRENCIES[parse_currency(currency)]
    scale = 10**spec.minor_units
    major, minor = divmod(abs(cents), scale)
    sign = "-" if cents < 0 else ""
    return f"{sign}{spec.symbol}{major:,}.{minor:0{spec.minor_units}d}"
