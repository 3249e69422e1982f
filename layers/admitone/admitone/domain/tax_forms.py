"""1099-DA data for resale sellers (RULES §18): tax profiles, sale records, tax years.

A seller's tax profile holds their legal name, TIN and US address; the TIN is only ever
stored sealed (``ports.envelopes``) and leaves the service masked (``mask_tin``). Each
released resale escrow is one ``Sale`` of its seller: gross proceeds, cost basis, gain,
dates acquired and disposed (README, "1099-DA data", says what each one means). A
seller's ``TaxYear`` sums the year's sales; a year of gross proceeds of at least
``FORM_THRESHOLD_CENTS`` needs a form, from ``FIRST_FORM_YEAR``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from admitone.domain.errors import FieldError, NotFound, ValidationFailed
from admitone.domain.resale import Escrow, ResaleSplit
from admitone.domain.tax import STATE_SALES_TAX

FORM_THRESHOLD_CENTS = 60_000  # $600 gross proceeds in a calendar year
FIRST_FORM_YEAR = 2025  # the first year brokers report on Form 1099-DA
LEGAL_NAME_MAX = 120
ADDRESS_LINE_MAX = 120
CITY_MAX = 60
TIN_DIGITS = 9
# The territories a US address may name besides the states and DC (USPS codes).
_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "VI"})
_ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
_TIN_SHAPES = {
    # 123-45-6789, 12-3456789 or 123456789: the digits are what counts.
    "dashed_ssn": re.compile(r"^[0-9]{3}-[0-9]{2}-[0-9]{4}$"),
    "dashed_ein": re.compile(r"^[0-9]{2}-[0-9]{7}$"),
    "digits": re.compile(r"^[0-9]{9}$"),
}


class TinKind(StrEnum):
    SSN = "ssn"
    ITIN = "itin"
    EIN = "ein"


class InvalidTaxProfile(ValidationFailed):
    """A tax profile's TIN, name or address breaks a rule."""

    code = "TAX_PROFILE_INVALID"
    title = "The tax profile is not valid"


class TaxProfileMissing(NotFound):
    """The caller has saved no tax profile."""

    code = "TAX_PROFILE_NOT_FOUND"
    title = "No tax profile"


class TaxYearInvalid(ValidationFailed):
    """Forms exist for calendar years from 2025 to the current one."""

    code = "TAX_YEAR_INVALID"
    title = "The tax year is not valid"


@dataclass(frozen=True)
class PayeeAddress:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None
    country: str = "US"


@dataclass(frozen=True)
class TaxProfile:
    """As stored: the TIN sealed, never in clear (``sealed_tin``)."""

    user_id: str
    legal_name: str
    tin_kind: TinKind
    sealed_tin: str
    address: PayeeAddress
    updated_at: datetime


def tin_context(user_id: str) -> dict[str, str]:
    """What a seller's sealed TIN is bound to: it opens only as this user's TIN."""
    return {"purpose": "tin", "user": user_id}


def normalized_tin(text: str, kind: TinKind) -> str:
    """The TIN's nine digits, or ``InvalidTaxProfile`` naming ``tin``. An SSN's area is
    not 000, 666 or 9xx, its group not 00, its serial not 0000; an ITIN starts with 9
    and its fourth and fifth digits are 50-65, 70-88, 90-92 or 94-99; an EIN's prefix
    is not 00."""
    if not any(shape.match(text) for shape in _TIN_SHAPES.values()):
        raise _invalid("tin", "must be nine digits (123-45-6789 or 12-3456789)", "TIN_FORMAT")
    digits = text.replace("-", "")
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    if kind is TinKind.SSN:
        valid = area not in (0, 666) and area < 900 and group != 0 and serial != 0
    elif kind is TinKind.ITIN:
        valid = digits[0] == "9" and (
            50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or group >= 94
        )
    else:
        valid = digits[:2] != "00"
    if not valid:
        raise _invalid("tin", f"is not a valid {kind.value.upper()}", "TIN_INVALID")
    return digits


def mask_tin(digits: str, kind: TinKind) -> str:
    """Only the last four digits shown, in the TIN's own shape: ``***-**-6789`` (SSN,
    ITIN), ``**-***6789`` (EIN), as payee statements truncate them."""
    last4 = digits[-4:]
    return f"**-***{last4}" if kind is TinKind.EIN else f"***-**-{last4}"


def checked_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > LEGAL_NAME_MAX or not cleaned.isprintable():
        raise _invalid("legal_name", f"must be 1 to {LEGAL_NAME_MAX} printable characters")
    return cleaned


def checked_address(address: PayeeAddress) -> PayeeAddress:
    """A US address (RULES §18 forms are for US payees): a state, DC or territory code,
    a ZIP code; lines and city non-empty and bounded."""
    errors: list[FieldError] = []
    for field, value, limit in (
        ("line1", address.line1, ADDRESS_LINE_MAX),
        ("city", address.city, CITY_MAX),
    ):
        if not value.strip() or len(value) > limit or not value.isprintable():
            errors.append(FieldError(f"address.{field}", f"1 to {limit} characters", "INVALID"))
    if address.line2 is not None and (
        len(address.line2) > ADDRESS_LINE_MAX or not address.line2.isprintable()
    ):
        errors.append(FieldError("address.line2", f"at most {ADDRESS_LINE_MAX} characters"))
    if address.country != "US":
        errors.append(FieldError("address.country", "must be US", "COUNTRY_UNSUPPORTED"))
    if address.state not in STATE_SALES_TAX and address.state not in _TERRITORIES:
        errors.append(FieldError("address.state", "must be a US state code such as TN"))
    if not _ZIP.match(address.postal_code):
        errors.append(FieldError("address.postal_code", "must be a ZIP code (12345 or 12345-6789)"))
    if errors:
        raise InvalidTaxProfile("The address is not valid.", errors=tuple(errors))
    return PayeeAddress(
        line1=" ".join(address.line1.split()),
        line2=" ".join(address.line2.split()) or None if address.line2 else None,
        city=" ".join(address.city.split()),
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


def checked_year(year: int, *, now: datetime) -> int:
    if not FIRST_FORM_YEAR <= year <= now.year:
        raise TaxYearInvalid(
            f"Forms exist for {FIRST_FORM_YEAR} to {now.year}.",
            errors=(
                FieldError("year", f"must be {FIRST_FORM_YEAR} to {now.year}", "OUT_OF_RANGE"),
            ),
        )
    return year


def _invalid(field: str, message: str, code: str = "INVALID") -> InvalidTaxProfile:
    return InvalidTaxProfile(f"{field} {message}.", errors=(FieldError(field, message, code),))


@dataclass(frozen=True)
class ShownProfile:
    """A tax profile as it may leave the service: the TIN masked."""

    legal_name: str
    tin_kind: TinKind
    tin_masked: str
    address: PayeeAddress
    updated_at: datetime


# ------------------------------------------------------------------ sales
class BasisSource(StrEnum):
    """Where a sale's cost basis comes from."""

    ORDER = "order"  # the seller's own order: the line's price of the ticket's type
    RESALE = "resale"  # the seller bought the ticket on resale: the price they paid
    UNKNOWN = "unknown"  # the ticket was passed to the seller (a transfer): not known


@dataclass(frozen=True)
class Acquisition:
    """How a holder came by a ticket, for the cost basis of its later sale."""

    ticket_id: str
    holder_id: str
    cost_cents: int
    acquired_at: datetime
    source: BasisSource


@dataclass(frozen=True)
class Sale:
    """One released resale, as its seller's 1099-DA reports it (README, "1099-DA data").

    ``gross_proceeds_cents`` is what the buyer paid less the transaction costs the sale
    bore (royalties and the platform's share: ``transaction_costs_cents``), i.e. the
    seller's share; ``gain_cents`` is None when the basis is not known."""

    escrow_id: str
    seller_id: str
    event_id: str
    ticket_id: str
    currency: str
    price_cents: int
    transaction_costs_cents: int
    gross_proceeds_cents: int
    cost_basis_cents: int | None
    basis_source: BasisSource
    acquired_at: datetime | None
    disposed_at: datetime

    @property
    def gain_cents(self) -> int | None:
        if self.cost_basis_cents is None:
            return None
        return self.gross_proceeds_cents - self.cost_basis_cents

    @property
    def year(self) -> int:
        return self.disposed_at.year


@dataclass(frozen=True)
class TaxYear:
    """A seller's sales of one calendar year, summed. ``sales`` counts them and is the
    version a change is conditioned on."""

    seller_id: str
    year: int
    sales: int
    gross_proceeds_cents: int
    cost_basis_cents: int  # of the sales whose basis is known
    gain_cents: int  # of the sales whose basis is known
    basis_unknown_sales: int

    @property
    def form_required(self) -> bool:
        return self.year >= FIRST_FORM_YEAR and self.gross_proceeds_cents >= FORM_THRESHOLD_CENTS


def sale_at_release(
    escrow: Escrow, split: ResaleSplit, basis: Acquisition | None, *, disposed_at: datetime
) -> Sale:
    """The seller's sale of a released escrow, at the split the release books."""
    return Sale(
        escrow_id=escrow.id,
        seller_id=escrow.seller_id,
        event_id=escrow.event_id,
        ticket_id=escrow.ticket_id,
        currency=escrow.currency,
        price_cents=escrow.amount_cents,
        transaction_costs_cents=escrow.amount_cents - split.seller_proceeds,
        gross_proceeds_cents=split.seller_proceeds,
        cost_basis_cents=basis.cost_cents if basis else None,
        basis_source=basis.source if basis else BasisSource.UNKNOWN,
        acquired_at=basis.acquired_at if basis else None,
        disposed_at=disposed_at,
    )


def bought_on_resale(escrow: Escrow, *, acquired_at: datetime) -> Acquisition:
    """The buyer's basis in the ticket a released escrow sold them: the price they paid."""
    return Acquisition(
        ticket_id=escrow.ticket_id,
        holder_id=escrow.buyer_id,
        cost_cents=escrow.amount_cents,
        acquired_at=acquired_at,
        source=BasisSource.RESALE,
    )


def with_sale(year: TaxYear | None, sale: Sale) -> TaxYear:
    """The seller's year with ``sale`` added (a new year when ``year`` is None)."""
    before = year or TaxYear(
        seller_id=sale.seller_id,
        year=sale.year,
        sales=0,
        gross_proceeds_cents=0,
        cost_basis_cents=0,
        gain_cents=0,
        basis_unknown_sales=0,
    )
    gain = sale.gain_cents
    return TaxYear(
        seller_id=before.seller_id,
        year=before.year,
        sales=before.sales + 1,
        gross_proceeds_cents=before.gross_proceeds_cents + sale.gross_proceeds_cents,
        cost_basis_cents=before.cost_basis_cents + (sale.cost_basis_cents or 0),
        gain_cents=before.gain_cents + (gain or 0),
        basis_unknown_sales=before.basis_unknown_sales + (1 if gain is None else 0),
    )


def without_sale(year: TaxYear, sale: Sale) -> TaxYear:
    """The seller's year with a reversed ``sale`` taken out again (its event cancelled:
    the buyer refunded, the seller keeps nothing)."""
    gain = sale.gain_cents
    return TaxYear(
        seller_id=year.seller_id,
        year=year.year,
        sales=year.sales - 1,
        gross_proceeds_cents=year.gross_proceeds_cents - sale.gross_proceeds_cents,
        cost_basis_cents=year.cost_basis_cents - (sale.cost_basis_cents or 0),
        gain_cents=year.gain_cents - (gain or 0),
        basis_unknown_sales=year.basis_unknown_sales - (1 if gain is None else 0),
    )
