"""The tax records port: a tax profile reads back as saved and a second save replaces
it; a sale is recorded once, its seller's year moves only from the version read, and a
year reaching $600 of gross proceeds is listed under its year."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import Conflict, Contention
from admitone.domain.ids import Prefix, new_id
from admitone.domain.tax_forms import (
    Acquisition,
    BasisSource,
    PayeeAddress,
    Sale,
    TaxProfile,
    TaxYear,
    TinKind,
    with_sale,
    without_sale,
)
from admitone.ports.store import Store

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def test_a_tax_profile_reads_back_as_saved_and_a_second_save_replaces_it(store: Store):
    profile = TaxProfile(
        user_id=new_id(Prefix.USER, now=NOW),
        legal_name="Ada Lovelace",
        tin_kind=TinKind.SSN,
        sealed_tin="env1.a.b.c",
        address=PayeeAddress(
            line1="1 Music Row", city="Nashville", state="TN", postal_code="37203"
        ),
        updated_at=NOW,
    )
    assert store.tax_profiles.get(profile.user_id) is None

    store.tax_profiles.save(profile)
    assert store.tax_profiles.get(profile.user_id) == profile

    moved = replace(
        profile,
        address=replace(profile.address, line2="Suite 5", state="PR", postal_code="00901"),
        tin_kind=TinKind.EIN,
        sealed_tin="env1.d.e.f",
    )
    store.tax_profiles.save(moved)
    assert store.tax_profiles.get(profile.user_id) == moved


def _sale(seller_id: str, escrow_n: int, proceeds: int, *, at: datetime = NOW) -> Sale:
    return Sale(
        escrow_id=f"esc_{escrow_n:026d}",
        seller_id=seller_id,
        event_id="evt_1",
        ticket_id=f"tkt_{escrow_n}",
        currency="USD",
        price_cents=proceeds + 100,
        transaction_costs_cents=100,
        gross_proceeds_cents=proceeds,
        cost_basis_cents=None if escrow_n % 2 else 1000,
        basis_source=BasisSource.UNKNOWN if escrow_n % 2 else BasisSource.ORDER,
        acquired_at=None if escrow_n % 2 else NOW - timedelta(days=3),
        disposed_at=at,
    )


def _bought(sale: Sale) -> Acquisition:
    return Acquisition(
        sale.ticket_id, "usr_buyer", sale.price_cents, sale.disposed_at, BasisSource.RESALE
    )


def _record(store: Store, sale: Sale) -> TaxYear:
    before = store.tax_records.year(sale.seller_id, sale.year)
    after = with_sale(before, sale)
    uow = store.unit_of_work()
    uow.tax.record_sale(sale, before=before, after=after, bought=_bought(sale))
    uow.commit()
    return after


def test_sales_read_back_oldest_first_with_their_year_summed(store: Store):
    seller = new_id(Prefix.USER, now=NOW)
    later = _sale(seller, 2, 30000, at=NOW + timedelta(hours=1))
    earlier = _sale(seller, 1, 20000)

    _record(store, later)
    year = _record(store, earlier)

    assert store.tax_records.sales(seller, 2026) == [earlier, later]
    assert store.tax_records.sales(seller, 2025) == []
    assert store.tax_records.year(seller, 2026) == year
    assert (year.sales, year.gross_proceeds_cents) == (2, 50000)
    assert store.tax_records.acquisition(later.ticket_id, "usr_buyer") == _bought(later)
    assert store.tax_records.acquisition(later.ticket_id, seller) is None


def test_a_sale_is_recorded_once_and_a_year_moves_only_from_the_version_read(store: Store):
    seller = new_id(Prefix.USER, now=NOW)
    sale = _sale(seller, 1, 20000)
    _record(store, sale)

    uow = store.unit_of_work()
    uow.tax.record_sale(sale, before=None, after=with_sale(None, sale), bought=_bought(sale))
    with pytest.raises(Conflict):
        uow.commit()
    other = _sale(seller, 3, 5000)
    uow = store.unit_of_work()
    uow.tax.record_sale(other, before=None, after=with_sale(None, other), bought=_bought(other))
    with pytest.raises(Contention):
        uow.commit()
    stale = with_sale(None, sale)
    uow = store.unit_of_work()
    uow.tax.record_sale(other, before=replace(stale, sales=0), after=stale, bought=_bought(other))
    with pytest.raises(Contention):
        uow.commit()

    assert store.tax_records.sales(seller, 2026) == [sale]
    assert store.tax_records.acquisition(other.ticket_id, "usr_buyer") is None


def test_a_year_is_listed_under_its_year_once_its_gross_proceeds_reach_600_dollars(store: Store):
    sellers = sorted(new_id(Prefix.USER, now=NOW) + f"{n}" for n in range(3))
    _record(store, _sale(sellers[0], 10, 59999))
    _record(store, _sale(sellers[1], 11, 60000))
    _record(store, _sale(sellers[2], 12, 40000))
    assert [one.seller_id for one in _listed(store, 2026)] == [sellers[1]]

    _record(store, _sale(sellers[2], 13, 20000))
    _record(store, _sale(sellers[0], 14, 1))

    assert [one.seller_id for one in _listed(store, 2026)] == sellers
    assert _listed(store, 2025) == []


def _listed(store: Store, year: int) -> list[TaxYear]:
    found: list[TaxYear] = []
    start: dict[str, str] | None = None
    while True:
        page, start = store.tax_records.years_over_threshold(year, limit=2, start=start)
        assert len(page) <= 2
        found += page
        if start is None:
            return [one for one in found if one.seller_id.startswith("usr_")]


def test_a_reversed_sale_is_taken_out_once_and_its_year_leaves_the_list(store: Store):
    seller = new_id(Prefix.USER, now=NOW)
    sale = _sale(seller, 1, 60000)
    year = _record(store, sale)
    assert store.tax_records.sale(seller, NOW, sale.escrow_id) == sale
    assert store.tax_records.sale(seller, NOW + timedelta(seconds=1), sale.escrow_id) is None
    assert [one.seller_id for one in _listed(store, 2026)] == [seller]

    uow = store.unit_of_work()
    uow.tax.reverse_sale(sale, before=year, after=without_sale(year, sale))
    uow.commit()

    assert store.tax_records.sales(seller, 2026) == []
    assert store.tax_records.sale(seller, NOW, sale.escrow_id) is None
    after = store.tax_records.year(seller, 2026)
    assert after is not None
    assert (after.sales, after.gross_proceeds_cents) == (0, 0)
    assert _listed(store, 2026) == []
    uow = store.unit_of_work()
    uow.tax.reverse_sale(sale, before=after, after=without_sale(after, sale))
    with pytest.raises(Conflict):
        uow.commit()


def test_a_year_whose_count_came_back_to_what_was_read_is_still_refused(store: Store):
    seller = new_id(Prefix.USER, now=NOW)
    first = _sale(seller, 1, 20000)
    read = _record(store, first)
    # Meanwhile: the sale reversed and another recorded (one sale again, other sums).
    uow = store.unit_of_work()
    uow.tax.reverse_sale(first, before=read, after=without_sale(read, first))
    uow.commit()
    _record(store, _sale(seller, 3, 5000))

    late = _sale(seller, 5, 7000)
    uow = store.unit_of_work()
    uow.tax.record_sale(late, before=read, after=with_sale(read, late), bought=_bought(late))
    with pytest.raises(Contention):
        uow.commit()
