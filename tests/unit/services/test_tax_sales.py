"""A released resale records its seller's 1099-DA sale in the release's unit of work:
gross proceeds (the seller's share), the basis from the seller's resale purchase, their
own order, or none (a ticket passed on), and the seller's year moved from the version
read, or nothing at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.accounts import Principal
from admitone.domain.catalog import EventStatus
from admitone.domain.errors import Contention
from admitone.domain.inventory import Allocation
from admitone.domain.jwt_tokens import Role
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals, PaymentStatus
from admitone.domain.resale import Escrow, EscrowStatus
from admitone.domain.tax_forms import BasisSource
from admitone.services import listings, resale_reversals
from admitone.services.escrow_funding import apply_escrow_intent
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.resale_purchase import purchase_listing
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys
from tests.unit.services.test_escrow_release import COOLING, FUNDED_AT, _funded, funding_keys
from tests.unit.services.test_resale_purchase import _key

__all__ = ["funding_keys", "signing_keys"]  # the fixtures the funding keys come from

DUE = FUNDED_AT + COOLING


def _release(shop: Shop, escrow: Escrow) -> None:
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=DUE) is Release.RELEASED


def _order_of_seller(shop: Shop, escrow: Escrow, unit_price: int) -> None:
    ticket = shop.store.tickets.get(escrow.ticket_id)
    assert ticket is not None
    paid_at = NOW - timedelta(days=30)
    shop.store.orders.add(
        Order(
            id=ticket.order_id,
            number="A1-2026-000001",
            buyer_id=escrow.seller_id,
            event_id=escrow.event_id,
            status=OrderStatus.PAID,
            lines=(OrderLine(ticket.ticket_type_id, 1, unit_price),),
            totals=OrderTotals("USD", unit_price, 0, 0, 0, (), unit_price),
            allocation=Allocation(()),
            hold_expires_at=paid_at,
            created_at=paid_at - timedelta(minutes=1),
            paid_at=paid_at,
            ticket_ids=(ticket.id,),
        )
    )


def test_a_release_records_the_sale_at_the_sellers_share_with_their_order_as_basis():
    shop = open_shop()
    escrow = _funded(shop)
    _order_of_seller(shop, escrow, unit_price=10000)

    _release(shop, escrow)

    (sale,) = shop.store.tax_records.sales(escrow.seller_id, DUE.year)
    assert (sale.escrow_id, sale.price_cents, sale.gross_proceeds_cents) == (
        escrow.id,
        15000,
        12750,
    )
    assert (sale.cost_basis_cents, sale.gain_cents, sale.basis_source) == (
        10000,
        2750,
        BasisSource.ORDER,
    )
    assert (sale.acquired_at, sale.disposed_at) == (NOW - timedelta(days=30), DUE)
    year = shop.store.tax_records.year(escrow.seller_id, DUE.year)
    assert year is not None
    assert (year.sales, year.gross_proceeds_cents, year.gain_cents) == (1, 12750, 2750)
    bought = shop.store.tax_records.acquisition(escrow.ticket_id, escrow.buyer_id)
    assert bought is not None
    assert (bought.cost_cents, bought.acquired_at, bought.source) == (
        15000,
        DUE,
        BasisSource.RESALE,
    )


def test_a_ticket_passed_to_the_seller_is_sold_with_no_basis():
    shop = open_shop()
    escrow = _funded(shop)  # its order is not the seller's (there is none here)

    _release(shop, escrow)

    (sale,) = shop.store.tax_records.sales(escrow.seller_id, DUE.year)
    assert (sale.cost_basis_cents, sale.gain_cents, sale.basis_source) == (
        None,
        None,
        BasisSource.UNKNOWN,
    )
    year = shop.store.tax_records.year(escrow.seller_id, DUE.year)
    assert year is not None
    assert (year.basis_unknown_sales, year.cost_basis_cents) == (1, 0)


def test_a_ticket_bought_on_resale_and_sold_again_has_the_resale_price_as_basis():
    shop = open_shop()
    first = _funded(shop)
    _release(shop, first)
    reseller = Principal(
        user_id=first.buyer_id, roles=frozenset({Role.BUYER}), email="r@example.com"
    )
    listing = listings.list_ticket(
        shop.store, first.ticket_id, reseller, price_cents=14000, now=DUE
    )
    second = purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=DUE).escrow
    authorized = shop.payments.settle(second.payment_intent_id, PaymentStatus.REQUIRES_CAPTURE)
    apply_escrow_intent(shop.ports, authorized, now=DUE)
    later = DUE + COOLING

    assert release_escrow(shop.ports, second.id, cooling=COOLING, now=later) is Release.RELEASED

    (sale,) = shop.store.tax_records.sales(first.buyer_id, later.year)
    assert (sale.price_cents, sale.gross_proceeds_cents) == (14000, 11900)
    assert (sale.cost_basis_cents, sale.gain_cents, sale.basis_source) == (
        15000,
        -3100,
        BasisSource.RESALE,
    )
    assert (sale.acquired_at, sale.disposed_at) == (DUE, later)


def test_a_year_moved_by_another_release_meanwhile_leaves_everything_unwritten(
    monkeypatch: pytest.MonkeyPatch,
):
    shop = open_shop()
    escrow = _funded(shop)
    records = shop.store.tax_records
    stale = records.year
    monkeypatch.setattr(records, "year", lambda seller_id, year: None)
    other = replace(escrow, id="esc_other", ticket_id="tkt_other")
    from admitone.domain.resale import Royalties, split_resale  # noqa: PLC0415
    from admitone.domain.tax_forms import sale_at_release, with_sale  # noqa: PLC0415

    earlier = sale_at_release(other, split_resale(10000, Royalties()), None, disposed_at=DUE)
    records.years[(escrow.seller_id, DUE.year)] = with_sale(None, earlier)

    with pytest.raises(Contention):
        release_escrow(shop.ports, escrow.id, cooling=COOLING, now=DUE)

    stored = shop.store.escrows.get(escrow.id)
    assert stored is not None
    assert stored.status is EscrowStatus.FUNDED
    assert shop.store.ledger.transactions == {}
    assert records.sales_by_escrow == {}
    monkeypatch.setattr(records, "year", stale)
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=DUE) is Release.RELEASED
    year = records.year(escrow.seller_id, DUE.year)
    assert year is not None
    assert year.sales == 2


def test_a_reversed_resale_takes_its_sale_out_of_the_sellers_year_once():
    shop = open_shop()
    kept = _funded(shop)
    reversed_one = _funded(shop)
    _release(shop, kept)
    _release(shop, reversed_one)
    records = shop.store.tax_records
    # Two sellers: each year holds one sale.
    assert len(records.sales(reversed_one.seller_id, DUE.year)) == 1

    shop.store.catalog.add_event(replace(shop.event, status=EventStatus.CANCELLED))
    later = DUE + timedelta(minutes=1)
    assert resale_reversals.reverse(shop.ports, reversed_one.id, now=later)
    assert not resale_reversals.reverse(shop.ports, reversed_one.id, now=later)

    assert records.sales(reversed_one.seller_id, DUE.year) == []
    year = records.year(reversed_one.seller_id, DUE.year)
    assert year is not None
    assert (year.sales, year.gross_proceeds_cents, year.basis_unknown_sales) == (0, 0, 0)
    assert len(records.sales(kept.seller_id, DUE.year)) == 1


def test_a_reversal_of_a_release_that_recorded_no_sale_reverses_the_rest():
    shop = open_shop()
    escrow = _funded(shop)
    _release(shop, escrow)
    shop.store.tax_records.sales_by_escrow.clear()  # released before sales were recorded

    shop.store.catalog.add_event(replace(shop.event, status=EventStatus.CANCELLED))

    assert resale_reversals.reverse(shop.ports, escrow.id, now=DUE + timedelta(minutes=1))
    reversed_escrow = shop.store.escrows.get(escrow.id)
    assert reversed_escrow is not None
    assert reversed_escrow.status is EscrowStatus.REFUNDED
