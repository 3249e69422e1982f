"""Tax profiles' rules (RULES §18): TINs checked by kind and masked to their last four
digits, names and US addresses bounded, tax years from 2025 to the current one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from admitone.domain.resale import Escrow, Royalties, split_resale
from admitone.domain.tax_forms import (
    Acquisition,
    BasisSource,
    InvalidTaxProfile,
    PayeeAddress,
    TaxYear,
    TaxYearInvalid,
    TinKind,
    bought_on_resale,
    checked_address,
    checked_name,
    checked_year,
    mask_tin,
    normalized_tin,
    sale_at_release,
    tin_context,
    with_sale,
    without_sale,
)

ADDRESS = PayeeAddress(line1=" 1  Music Row ", city="Nashville", state="TN", postal_code="37203")


@pytest.mark.parametrize(
    ("text", "kind", "digits"),
    [
        ("123-45-6789", TinKind.SSN, "123456789"),
        ("123456789", TinKind.SSN, "123456789"),
        ("12-3456789", TinKind.EIN, "123456789"),
        ("912-70-1234", TinKind.ITIN, "912701234"),
        ("900-50-1234", TinKind.ITIN, "900501234"),
        ("900-90-1234", TinKind.ITIN, "900901234"),
        ("900-94-1234", TinKind.ITIN, "900941234"),
    ],
)
def test_a_valid_tin_comes_back_as_its_nine_digits(text: str, kind: TinKind, digits: str):
    assert normalized_tin(text, kind) == digits


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("12345678", TinKind.SSN, "TIN_FORMAT"),
        ("1234-5-6789", TinKind.SSN, "TIN_FORMAT"),
        ("000-45-6789", TinKind.SSN, "TIN_INVALID"),
        ("666-45-6789", TinKind.SSN, "TIN_INVALID"),
        ("900-45-6789", TinKind.SSN, "TIN_INVALID"),
        ("123-00-6789", TinKind.SSN, "TIN_INVALID"),
        ("123-45-0000", TinKind.SSN, "TIN_INVALID"),
        ("812-70-1234", TinKind.ITIN, "TIN_INVALID"),
        ("912-69-1234", TinKind.ITIN, "TIN_INVALID"),
        ("912-93-1234", TinKind.ITIN, "TIN_INVALID"),
        ("912-89-1234", TinKind.ITIN, "TIN_INVALID"),
        ("00-1234567", TinKind.EIN, "TIN_INVALID"),
    ],
)
def test_a_bad_tin_is_refused_naming_tin_without_echoing_it(text: str, kind: TinKind, code: str):
    with pytest.raises(InvalidTaxProfile) as refused:
        normalized_tin(text, kind)
    assert [(error.field, error.code) for error in refused.value.errors] == [("tin", code)]
    assert text not in str(refused.value)


def test_a_tin_is_masked_to_its_last_four_digits_in_its_own_shape():
    assert mask_tin("123456789", TinKind.SSN) == "***-**-6789"
    assert mask_tin("912701234", TinKind.ITIN) == "***-**-1234"
    assert mask_tin("123456789", TinKind.EIN) == "**-***6789"


def test_a_sealed_tin_is_bound_to_its_user():
    assert tin_context("usr_1") == {"purpose": "tin", "user": "usr_1"}
    assert tin_context("usr_1") != tin_context("usr_2")


def test_a_name_is_trimmed_and_bounded():
    assert checked_name("  Ada   Lovelace ") == "Ada Lovelace"
    for bad in ("", "   ", "x" * 121, "Ada\x00"):
        with pytest.raises(InvalidTaxProfile):
            checked_name(bad)


def test_an_address_is_a_us_one_tidied():
    checked = checked_address(ADDRESS)
    assert checked.line1 == "1 Music Row"
    assert checked.line2 is None
    with_line2 = checked_address(PayeeAddress(**{**ADDRESS.__dict__, "line2": " Suite  5 "}))
    assert with_line2.line2 == "Suite 5"
    assert checked_address(PayeeAddress(**{**ADDRESS.__dict__, "line2": "  "})).line2 is None
    territory = PayeeAddress(**{**ADDRESS.__dict__, "state": "PR", "postal_code": "00901-1234"})
    assert checked_address(territory).state == "PR"


def test_every_bad_part_of_an_address_is_named():
    bad = PayeeAddress(
        line1=" ",
        line2="x" * 121,
        city="x" * 61,
        state="ZZ",
        postal_code="3720",
        country="CA",
    )
    with pytest.raises(InvalidTaxProfile) as refused:
        checked_address(bad)
    assert [error.field for error in refused.value.errors] == [
        "address.line1",
        "address.city",
        "address.line2",
        "address.country",
        "address.state",
        "address.postal_code",
    ]


def test_forms_exist_from_2025_to_the_current_year():
    now = datetime(2026, 12, 6, tzinfo=UTC)
    assert checked_year(2025, now=now) == 2025
    assert checked_year(2026, now=now) == 2026
    for year in (2024, 2027):
        with pytest.raises(TaxYearInvalid) as refused:
            checked_year(year, now=now)
        assert refused.value.errors[0].field == "year"


# ------------------------------------------------------------------ sales
RELEASED = datetime(2026, 5, 2, 21, 0, tzinfo=UTC)
BOUGHT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _escrow(amount: int = 15000) -> Escrow:
    return Escrow(
        id="esc_1",
        listing_id="lst_1",
        event_id="evt_1",
        ticket_id="tkt_1",
        ticket_version=1,
        seller_id="usr_seller",
        buyer_id="usr_buyer",
        buyer_email="buyer@example.com",
        amount_cents=amount,
        currency="USD",
        payment_intent_id="pi_1",
        created_at=RELEASED,
    )


def test_a_sales_gross_proceeds_are_the_sellers_share_after_royalties_and_fees():
    escrow = _escrow()
    basis = Acquisition("tkt_1", "usr_seller", 10000, BOUGHT, BasisSource.ORDER)

    sale = sale_at_release(escrow, split_resale(15000, Royalties()), basis, disposed_at=RELEASED)

    assert (sale.price_cents, sale.transaction_costs_cents, sale.gross_proceeds_cents) == (
        15000,
        2250,
        12750,
    )
    assert (sale.cost_basis_cents, sale.gain_cents, sale.basis_source) == (
        10000,
        2750,
        BasisSource.ORDER,
    )
    assert (sale.acquired_at, sale.disposed_at, sale.year) == (BOUGHT, RELEASED, 2026)


def test_a_sale_of_a_ticket_passed_on_has_no_basis_and_no_gain():
    sale = sale_at_release(_escrow(), split_resale(15000, Royalties()), None, disposed_at=RELEASED)

    assert (sale.cost_basis_cents, sale.gain_cents, sale.acquired_at) == (None, None, None)
    assert sale.basis_source is BasisSource.UNKNOWN


def test_the_buyers_basis_is_the_resale_price_they_paid():
    bought = bought_on_resale(_escrow(), acquired_at=RELEASED)

    assert bought == Acquisition("tkt_1", "usr_buyer", 15000, RELEASED, BasisSource.RESALE)


def test_a_year_sums_its_sales_and_needs_a_form_from_600_dollars_of_gross_proceeds():
    split = split_resale(15000, Royalties())
    known = sale_at_release(
        _escrow(),
        split,
        Acquisition("tkt_1", "usr_seller", 10000, BOUGHT, BasisSource.ORDER),
        disposed_at=RELEASED,
    )
    unknown = sale_at_release(_escrow(), split, None, disposed_at=RELEASED)

    year = with_sale(with_sale(None, known), unknown)

    assert year == TaxYear(
        seller_id="usr_seller",
        year=2026,
        sales=2,
        gross_proceeds_cents=25500,
        cost_basis_cents=10000,
        gain_cents=2750,
        basis_unknown_sales=1,
    )
    assert not year.form_required
    assert replace(year, gross_proceeds_cents=60000).form_required
    assert not replace(year, gross_proceeds_cents=59999).form_required
    assert not replace(year, year=2024, gross_proceeds_cents=90000).form_required

    assert without_sale(year, unknown) == with_sale(None, known)
    assert without_sale(with_sale(None, known), known) == replace(
        with_sale(None, known),
        sales=0,
        gross_proceeds_cents=0,
        cost_basis_cents=0,
        gain_cents=0,
    )
