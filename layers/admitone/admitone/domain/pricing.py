"""The buyer's price of a cart: fees, discount, tax and their split per ticket (RULES §2).

Invariants:
- ``total == subtotal - discount + platform_fee + nft_fee + Σ tax``, all ``int`` cents.
- ``0 <= discount <= subtotal``; fee and tax are charged on ``subtotal - discount``.
- Every component is split over the ticket units with ``money.allocate``, so for each
  component the per-ticket shares sum exactly to the order's amount, and the
  per-ticket totals sum exactly to ``total``. Refunds by ticket rely on this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from admitone.domain.errors import (
    AmountOutOfRange,
    FieldError,
    InvalidCart,
    InvalidVoucher,
    VoucherNotApplicable,
)
from admitone.domain.money import (
    BPS_PER_WHOLE,
    DEFAULT_CURRENCY,
    MAX_AMOUNT_CENTS,
    MIN_AMOUNT_CENTS,
    Currency,
    allocate,
    percent_of,
)
from admitone.domain.tax import TaxJurisdiction, TaxLine

MIN_QUANTITY = 1
MAX_QUANTITY = 10
NFT_FEE_CENTS_PER_TICKET = 50


class FeeTier(StrEnum):
    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


FEE_TIER_BPS: Mapping[FeeTier, int] = MappingProxyType(
    {FeeTier.STARTER: 820, FeeTier.PRO: 790, FeeTier.ENTERPRISE: 750}
)
PRO_FROM_GROSS_CENTS = 1_000_000
PRO_UP_TO_GROSS_CENTS = 10_000_000


def tier_for_trailing_gross(gross_cents: int, *, pinned: FeeTier | None = None) -> FeeTier:
    """The venue's fee tier from its trailing 30-day gross; an admin-pinned tier wins.

    Under $10,000 starter; $10,000 to $100,000 inclusive pro; above $100,000 enterprise.
    """
    if pinned is not None:
        return pinned
    if gross_cents < PRO_FROM_GROSS_CENTS:
        return FeeTier.STARTER
    if gross_cents <= PRO_UP_TO_GROSS_CENTS:
        return FeeTier.PRO
    return FeeTier.ENTERPRISE


@dataclass(frozen=True)
class CartLine:
    ticket_type_id: str
    unit_price_cents: int
    quantity: int


@dataclass(frozen=True)
class PercentOff:
    """``bps`` off the eligible subtotal (rounded half up); ``ticket_type_ids`` None = all."""

    bps: int
    ticket_type_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.bps <= BPS_PER_WHOLE:
            message = f"must be between 1 and {BPS_PER_WHOLE} basis points"
            raise InvalidVoucher(
                f"Voucher percentage {self.bps} bps is out of range.",
                errors=(FieldError("voucher.bps", message, InvalidVoucher.code),),
            )

    def discount_on(self, eligible_cents: int) -> int:
        return percent_of(eligible_cents, self.bps)


@dataclass(frozen=True)
class AmountOff:
    """A fixed ``cents`` off, capped at the eligible subtotal; ``ticket_type_ids`` None = all."""

    cents: int
    ticket_type_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not MIN_AMOUNT_CENTS <= self.cents <= MAX_AMOUNT_CENTS:
            message = f"must be between {MIN_AMOUNT_CENTS} and {MAX_AMOUNT_CENTS} cents"
            raise InvalidVoucher(
                f"Voucher amount {self.cents} is out of range.",
                errors=(FieldError("voucher.cents", message, InvalidVoucher.code),),
            )

    def discount_on(self, eligible_cents: int) -> int:
        return min(self.cents, eligible_cents)


type Voucher = PercentOff | AmountOff


@dataclass(frozen=True)
class TicketShare:
    """One ticket unit's part of every order component; ``total`` is their sum."""

    line_index: int
    ticket_type_id: str
    price: int
    discount: int
    platform_fee: int
    nft_fee: int
    taxes: tuple[TaxLine, ...]
    total: int

    @property
    def tax(self) -> int:
        return sum(line.amount for line in self.taxes)


@dataclass(frozen=True)
class Quote:
    currency: Currency
    fee_tier: FeeTier
    platform_fee_bps: int
    subtotal: int
    discount: int
    platform_fee: int
    nft_fee: int
    taxes: tuple[TaxLine, ...]
    total: int
    tickets: tuple[TicketShare, ...]

    @property
    def taxable(self) -> int:
        return self.subtotal - self.discount

    @property
    def tax(self) -> int:
        return sum(line.amount for line in self.taxes)


@dataclass(frozen=True)
class Fees:
    """The fees every buyer pays on top of the tickets: none can be declined."""

    platform_fee_bps: int
    platform_fee: int
    nft_fee: int


def fees_on(charged_cents: int, *, units: int, fee_tier: FeeTier, nft: bool) -> Fees:
    """The fees on ``units`` tickets that charge ``charged_cents`` after discount: the one
    formula of quotes, orders and the all-in prices listings show."""
    platform_fee_bps = FEE_TIER_BPS[fee_tier]
    return Fees(
        platform_fee_bps=platform_fee_bps,
        platform_fee=percent_of(charged_cents, platform_fee_bps),
        nft_fee=NFT_FEE_CENTS_PER_TICKET * units if nft else 0,
    )


def all_in_price(price_cents: int, *, fee_tier: FeeTier, nft: bool) -> int:
    """A ticket's price with every mandatory fee (the platform fee, and the NFT fee where
    the event mints tickets), as the FTC's live-event fee rule (16 CFR 464, May 2025)
    requires wherever a price is shown. Tax is not a fee under the rule and is left out,
    as are discounts: what a quote of this one ticket charges before tax."""
    fees = fees_on(price_cents, units=1, fee_tier=fee_tier, nft=nft)
    return price_cents + fees.platform_fee + fees.nft_fee


def _cart_errors(lines: Sequence[CartLine]) -> list[FieldError]:
    if not lines:
        return [FieldError("lines", "must contain at least one line", InvalidCart.code)]
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        if not MIN_QUANTITY <= line.quantity <= MAX_QUANTITY:
            message = f"must be between {MIN_QUANTITY} and {MAX_QUANTITY}"
            errors.append(FieldError(f"lines[{index}].quantity", message, InvalidCart.code))
        if not 0 <= line.unit_price_cents <= MAX_AMOUNT_CENTS:
            message = f"must be between 0 and {MAX_AMOUNT_CENTS} cents"
            errors.append(FieldError(f"lines[{index}].unit_price_cents", message, InvalidCart.code))
    return errors


def quote(
    lines: Sequence[CartLine],
    *,
    fee_tier: FeeTier,
    tax: TaxJurisdiction,
    currency: Currency = DEFAULT_CURRENCY,
    voucher: Voucher | None = None,
    nft: bool = False,
) -> Quote:
    """Price a cart and split every component over its ticket units.

    Raises ``InvalidCart`` (no lines, quantity outside 1..10, price outside
    0..99,999,999), ``VoucherNotApplicable`` (no eligible ticket has a price) and
    ``AmountOutOfRange`` (the total exceeds what one payment may charge).
    """
    errors = _cart_errors(lines)
    if errors:
        raise InvalidCart(f"The cart has {len(errors)} invalid field(s).", errors=tuple(errors))

    units = [(index, line) for index, line in enumerate(lines) for _ in range(line.quantity)]
    prices = [line.unit_price_cents for _, line in units]
    subtotal = sum(prices)

    discounts = [0] * len(units)
    if voucher is not None:
        eligible = [
            price
            if voucher.ticket_type_ids is None or line.ticket_type_id in voucher.ticket_type_ids
            else 0
            for price, (_, line) in zip(prices, units, strict=True)
        ]
        eligible_subtotal = sum(eligible)
        if eligible_subtotal == 0:
            raise VoucherNotApplicable(
                "The voucher does not apply to any priced ticket in the cart.",
                errors=(FieldError("voucher", "applies to no ticket", VoucherNotApplicable.code),),
            )
        discounts = allocate(voucher.discount_on(eligible_subtotal), eligible)
    discount = sum(discounts)

    # Shares of fee and tax follow what each ticket is actually charged after discount.
    nets = [price - share for price, share in zip(prices, discounts, strict=True)]
    taxable = subtotal - discount
    fees = fees_on(taxable, units=len(units), fee_tier=fee_tier, nft=nft)
    platform_fee, nft_fee = fees.platform_fee, fees.nft_fee
    taxes = tax.lines_for(taxable)
    total = taxable + platform_fee + nft_fee + sum(line.amount for line in taxes)
    if total > MAX_AMOUNT_CENTS:
        message = f"must not exceed {MAX_AMOUNT_CENTS} cents"
        raise AmountOutOfRange(
            f"The order total {total} is more than one payment may charge.",
            errors=(FieldError("total", message, AmountOutOfRange.code),),
        )

    fee_shares = allocate(platform_fee, nets)
    nft_shares = allocate(nft_fee, [1] * len(units))
    tax_shares = [allocate(line.amount, nets) for line in taxes]
    tickets = tuple(
        _ticket_share(
            unit=position,
            line_index=line_index,
            line=line,
            discount=discounts[position],
            platform_fee=fee_shares[position],
            nft_fee=nft_shares[position],
            taxes=taxes,
            tax_shares=tax_shares,
        )
        for position, (line_index, line) in enumerate(units)
    )
    return Quote(
        currency=currency,
        fee_tier=fee_tier,
        platform_fee_bps=fees.platform_fee_bps,
        subtotal=subtotal,
        discount=discount,
        platform_fee=platform_fee,
        nft_fee=nft_fee,
        taxes=taxes,
        total=total,
        tickets=tickets,
    )


def _ticket_share(
    *,
    unit: int,
    line_index: int,
    line: CartLine,
    discount: int,
    platform_fee: int,
    nft_fee: int,
    taxes: tuple[TaxLine, ...],
    tax_shares: list[list[int]],
) -> TicketShare:
    ticket_taxes = tuple(
        TaxLine(order_line.name, order_line.rate_bps, shares[unit])
        for order_line, shares in zip(taxes, tax_shares, strict=True)
    )
    price = line.unit_price_cents
    return TicketShare(
        line_index=line_index,
        ticket_type_id=line.ticket_type_id,
        price=price,
        discount=discount,
        platform_fee=platform_fee,
        nft_fee=nft_fee,
        taxes=ticket_taxes,
        total=price
        - discount
        + platform_fee
        + nft_fee
        + sum(ticket_tax.amount for ticket_tax in ticket_taxes),
    )
