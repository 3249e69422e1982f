"""1099-DA form data (RULES §18): a seller's own form of a year, and the admin's list
of every seller whose year needs one.

A year needs a form when the seller's gross resale proceeds in it reach $600, from 2025
(``TaxYear.form_required``). ``GET /me/tax-forms/{year}`` always answers the caller's
year: ``required`` says whether a form is due, with the totals and every sale either
way (a seller may check their figures before they cross the threshold), and the payee
(legal name, masked TIN, address) from their tax profile, or null if they saved none.
The admin's list reads the sellers' years of one year from an index keyed by the year
(only years over the threshold enter it), in cursor pages; never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.cursor_keys import cursor_key
from admitone.domain.accounts import Principal
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.tax_forms import Sale, ShownProfile, TaxYear, checked_year
from admitone.ports import Ports
from admitone.services.tax_profiles import shown


@dataclass(frozen=True)
class TaxForm:
    seller_id: str
    year: int
    required: bool
    totals: TaxYear
    payee: ShownProfile | None
    sales: list[Sale]


@dataclass(frozen=True)
class TaxFormPage:
    forms: list[TaxForm]
    next_cursor: str | None


def form_of(ports: Ports, caller: Principal, year: int, *, now: datetime | None = None) -> TaxForm:
    """The caller's form data of ``year`` (``TAX_YEAR_INVALID`` outside 2025 to now)."""
    checked_year(year, now=now or datetime.now(UTC))
    records = ports.store.tax_records
    totals = records.year(caller.user_id, year) or _no_sales(caller.user_id, year)
    sales = records.sales(caller.user_id, year) if totals.sales else []
    return TaxForm(
        seller_id=caller.user_id,
        year=year,
        required=totals.form_required,
        totals=totals,
        payee=_payee(ports, caller.user_id),
        sales=sales,
    )


def forms_of_year(
    ports: Ports, year: int, *, limit: int, cursor: str | None, now: datetime | None = None
) -> TaxFormPage:
    """One page of the sellers whose ``year`` needs a form, by seller id, each with its
    totals and payee (the sales are each seller's own form)."""
    checked_year(year, now=now or datetime.now(UTC))
    filters = fingerprint({"tax_forms_year": year})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    page, resume = ports.store.tax_records.years_over_threshold(year, limit=limit, start=start)
    forms = [
        TaxForm(
            seller_id=one.seller_id,
            year=year,
            required=True,
            totals=one,
            payee=_payee(ports, one.seller_id),
            sales=[],
        )
        for one in page
    ]
    return TaxFormPage(
        forms=forms, next_cursor=encode_cursor(resume, filters, cursor_key()) if resume else None
    )


def _payee(ports: Ports, user_id: str) -> ShownProfile | None:
    profile = ports.store.tax_profiles.get(user_id)
    return shown(ports, profile) if profile else None


def _no_sales(seller_id: str, year: int) -> TaxYear:
    return TaxYear(
        seller_id=seller_id,
        year=year,
        sales=0,
        gross_proceeds_cents=0,
        cost_basis_cents=0,
        gain_cents=0,
        basis_unknown_sales=0,
    )
