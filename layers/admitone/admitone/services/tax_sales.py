"""The seller's 1099-DA sale recorded with the release of a resale escrow (RULES §18).

The release's unit of work also stages, through the tax change set: the sale (gross
proceeds = the seller's share of the split, README "1099-DA data"), the seller's year
moved from the version read here, and what the buyer paid (their basis when they sell
the ticket on). The seller's basis is what they paid on resale if they bought the
ticket so; else, if it came from their own order, that order line's price, acquired
when the order was paid; else (a transfer) not known.
"""

from __future__ import annotations

from datetime import datetime

from admitone.domain.resale import Escrow, ResaleSplit
from admitone.domain.tax_forms import (
    Acquisition,
    BasisSource,
    bought_on_resale,
    sale_at_release,
    with_sale,
    without_sale,
)
from admitone.domain.tickets import Ticket
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork


def stage_sale(
    store: Store,
    uow: UnitOfWork,
    escrow: Escrow,
    ticket: Ticket,
    split: ResaleSplit,
    *,
    now: datetime,
) -> None:
    """Stage the sale of ``escrow`` released ``now`` into ``uow`` (a year moved since it
    was read here makes the commit raise ``Contention``)."""
    sale = sale_at_release(escrow, split, _basis(store, escrow, ticket), disposed_at=now)
    before = store.tax_records.year(sale.seller_id, sale.year)
    uow.tax.record_sale(
        sale,
        before=before,
        after=with_sale(before, sale),
        bought=bought_on_resale(escrow, acquired_at=now),
    )


def stage_reversal(store: Store, uow: UnitOfWork, escrow: Escrow) -> None:
    """Stage taking the sale of a released escrow out of its seller's year, as its
    resale is reversed (nothing for a release recorded no sale)."""
    assert escrow.released_at is not None  # stamped by the move to released
    sale = store.tax_records.sale(escrow.seller_id, escrow.released_at, escrow.id)
    if sale is None:
        return
    before = store.tax_records.year(sale.seller_id, sale.year)
    assert before is not None  # written with the sale
    uow.tax.reverse_sale(sale, before=before, after=without_sale(before, sale))


def _basis(store: Store, escrow: Escrow, ticket: Ticket) -> Acquisition | None:
    bought = store.tax_records.acquisition(escrow.ticket_id, escrow.seller_id)
    if bought is not None:
        return bought
    order = store.orders.get(ticket.order_id)
    if order is None or order.buyer_id != escrow.seller_id:
        return None  # passed to the seller by its buyer: what they paid is not known
    line = next((one for one in order.lines if one.ticket_type_id == ticket.ticket_type_id), None)
    if line is None:
        return None
    return Acquisition(
        ticket_id=ticket.id,
        holder_id=escrow.seller_id,
        cost_cents=line.unit_price,
        acquired_at=order.paid_at or order.created_at,
        source=BasisSource.ORDER,
    )
