"""Tax forms from the fakes: a seller's own year (required or not, payee masked or
absent) and the admin's pages of the sellers over the threshold, resumed by a cursor
that only fits the year it was made for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from admitone.domain.accounts import Principal
from admitone.domain.cursors import CursorInvalid
from admitone.domain.jwt_tokens import Role
from admitone.domain.tax_forms import BasisSource, PayeeAddress, Sale, TinKind, with_sale
from admitone.services.tax_forms import form_of, forms_of_year
from admitone.services.tax_profiles import save_tax_profile
from tests.fakes import FakePorts, fake_ports

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def a_cursor_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admitone.services.tax_forms.cursor_key", lambda: b"k" * 32)


def _seller(n: int) -> Principal:
    return Principal(user_id=f"usr_{n:02d}", roles=frozenset({Role.BUYER}), email="s@example.com")


def _sold(ports: FakePorts, seller: Principal, proceeds: int) -> Sale:
    sale = Sale(
        escrow_id=f"esc_{seller.user_id}_{proceeds}",
        seller_id=seller.user_id,
        event_id="evt_1",
        ticket_id="tkt_1",
        currency="USD",
        price_cents=proceeds,
        transaction_costs_cents=0,
        gross_proceeds_cents=proceeds,
        cost_basis_cents=None,
        basis_source=BasisSource.UNKNOWN,
        acquired_at=None,
        disposed_at=NOW,
    )
    records = ports.store.tax_records
    records.sales_by_escrow[sale.escrow_id] = sale
    key = (sale.seller_id, sale.year)
    records.years[key] = with_sale(records.years.get(key), sale)
    return sale


def test_a_sellers_form_shows_their_sales_and_their_masked_tin_once_required():
    ports = fake_ports()
    seller = _seller(1)
    sale = _sold(ports, seller, 59999)

    below = form_of(ports, seller, 2026, now=NOW)
    assert (below.required, below.payee, below.sales) == (False, None, [sale])

    save_tax_profile(
        ports,
        seller,
        legal_name="Ada Lovelace",
        tin_kind=TinKind.SSN,
        tin="123-45-6789",
        address=PayeeAddress(
            line1="1 Music Row", city="Nashville", state="TN", postal_code="37203"
        ),
        now=NOW,
    )
    _sold(ports, seller, 1)
    over = form_of(ports, seller, 2026, now=NOW)
    assert over.required
    assert over.payee is not None
    assert over.payee.tin_masked == "***-**-6789"
    assert over.totals.gross_proceeds_cents == 60000
    empty = form_of(ports, seller, 2025, now=NOW)
    assert (empty.required, empty.sales, empty.totals.sales) == (False, [], 0)


def test_the_admin_pages_through_the_sellers_over_the_threshold_by_cursor():
    ports = fake_ports()
    for n in range(5):
        _sold(ports, _seller(n), 60000 + n)
    _sold(ports, _seller(9), 100)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = forms_of_year(ports, 2026, limit=2, cursor=cursor, now=NOW)
        assert len(page.forms) <= 2
        seen += [form.seller_id for form in page.forms]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"usr_{n:02d}" for n in range(5)]

    first = forms_of_year(ports, 2026, limit=2, cursor=None, now=NOW)
    assert first.next_cursor is not None
    with pytest.raises(CursorInvalid):
        forms_of_year(ports, 2025, limit=2, cursor=first.next_cursor, now=NOW)
