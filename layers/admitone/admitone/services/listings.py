"""Resale listings (issue 19, step 1): a holder lists a ticket within the event's resale
policy, anyone browses an event's listings cheapest first or reads one, the seller
withdraws one and sees their own.

Opening a listing is one unit of work: the listing, the ticket's "is listed" guard
(one active listing a ticket, by condition) and a check that the ticket is still as
read. A listing of an event that has started reads as ended (``event_started``):
derived on every read (``domain.resale.as_of``), never swept, so none is for sale once
the doors open. The public views never carry the seller's identity; that is the view's
business (``http.listing_views``), the services hand out whole listings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from admitone.adapters.cursor_keys import cursor_key
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Event, EventStatus
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import NotFound
from admitone.domain.events import ListingEnded
from admitone.domain.ids import Prefix, is_id, new_id
from admitone.domain.resale import (
    Listing,
    ListingSale,
    ListingStatus,
    as_of,
    check_listable,
    check_listing_price,
    listing_sale,
    withdrawn,
)
from admitone.observability import logger
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ListingPage:
    listings: list[Listing]
    # The ticket types' names by id, for the listings of the page.
    ticket_type_names: dict[str, str]
    next_cursor: str | None
    # A sold listing's sale by listing id (its seller's page only).
    sales: dict[str, ListingSale] = field(default_factory=dict)


def list_ticket(
    store: Store,
    ticket_id: str,
    caller: Principal,
    *,
    price_cents: int,
    now: datetime | None = None,
) -> Listing:
    """Offer the caller's ticket for resale at ``price_cents``."""
    now = now or datetime.now(UTC)
    ticket = store.tickets.get(ticket_id) if is_id(ticket_id, Prefix.TICKET) else None
    # Someone else's ticket is as unknown as a missing one (as a transfer's).
    if ticket is None or ticket.holder_id != caller.user_id:
        raise NotFound("No such ticket.")
    event = store.catalog.event(ticket.event_id)
    ticket_type = store.catalog.ticket_types(ticket.event_id).get(ticket.ticket_type_id)
    # A ticket's event and type are never deleted.
    assert event is not None
    assert ticket_type is not None
    check_listable(ticket, event, now=now)
    # The face value is the ticket type's price: what the organizer asks, whatever a
    # voucher took off one buyer's order.
    check_listing_price(price_cents, ticket_type.price_cents, event.resale, charity=False)
    listing = Listing(
        id=new_id(Prefix.RESALE_LISTING, now=now),
        event_id=event.id,
        ticket_id=ticket.id,
        ticket_version=ticket.version,
        ticket_type_id=ticket.ticket_type_id,
        seller_id=caller.user_id,
        price_cents=price_cents,
        face_value_cents=ticket_type.price_cents,
        currency=ticket_type.currency.value,
        created_at=now,
    )
    uow = store.unit_of_work()
    uow.listings.open(listing, ticket)
    uow.commit()
    logger.info("ticket listed", extra={"listing_id": listing.id, "ticket_id": ticket.id})
    return listing


def listing(store: Store, listing_id: str, *, now: datetime | None = None) -> Listing:
    """A listing as it stands now (public)."""
    now = now or datetime.now(UTC)
    found = store.listings.get(listing_id) if is_id(listing_id, Prefix.RESALE_LISTING) else None
    if found is None:
        raise NotFound("No such listing.")
    return as_of(found, event_starts_at=_event(store, found.event_id).starts_at, now=now)


def ticket_type_names(store: Store, event_id: str) -> dict[str, str]:
    return {tt.id: tt.name for tt in store.catalog.ticket_types(event_id).values()}


def withdraw(
    store: Store, listing_id: str, caller: Principal, *, now: datetime | None = None
) -> Listing:
    """The seller takes their listing off the market."""
    now = now or datetime.now(UTC)
    current = listing(store, listing_id, now=now)
    if current.seller_id != caller.user_id:
        raise NotFound("No such listing.")
    gone = withdrawn(current, now=now)
    uow = store.unit_of_work()
    uow.listings.close(gone)
    uow.commit()
    logger.info("listing withdrawn", extra={"listing_id": gone.id})
    return gone


def for_sale(
    store: Store, event_id: str, *, limit: int, cursor: str | None, now: datetime | None = None
) -> ListingPage:
    """One page of an event's listings for sale, cheapest first (public)."""
    now = now or datetime.now(UTC)
    event = _event(store, event_id) if is_id(event_id, Prefix.EVENT) else None
    if event is None:
        raise NotFound("No such event.")
    filters = fingerprint({"event_listings": event_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    if event.status is EventStatus.CANCELLED or now >= event.starts_at:
        return ListingPage([], {}, None)
    page, resume = store.listings.active_of_event(event_id, limit=limit, start=start)
    return ListingPage(
        listings=page,
        ticket_type_names=ticket_type_names(store, event_id),
        next_cursor=encode_cursor(resume, filters, cursor_key()) if resume else None,
    )


def of_seller(
    store: Store, caller: Principal, *, limit: int, cursor: str | None, now: datetime | None = None
) -> ListingPage:
    """One page of the caller's listings in every status, newest first."""
    now = now or datetime.now(UTC)
    filters = fingerprint({"seller": caller.user_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    page, resume = store.listings.of_seller(caller.user_id, limit=limit, start=start)
    events = {event_id: _event(store, event_id) for event_id in {one.event_id for one in page}}
    names: dict[str, str] = {}
    for event_id in events:
        names |= ticket_type_names(store, event_id)
    sales = {}
    for one in page:
        if one.status is ListingStatus.SOLD and one.escrow_id:
            escrow = store.escrows.get(one.escrow_id)
            if escrow is not None:
                sales[one.id] = listing_sale(escrow)
    return ListingPage(
        listings=[
            as_of(one, event_starts_at=events[one.event_id].starts_at, now=now) for one in page
        ],
        ticket_type_names=names,
        next_cursor=encode_cursor(resume, filters, cursor_key()) if resume else None,
        sales=sales,
    )


def _event(store: Store, event_id: str) -> Event:
    event = store.catalog.event(event_id)
    if event is None:
        raise NotFound("No such event.")
    return event


def announce_ended(uow: UnitOfWork, listing: Listing, *, now: datetime) -> None:
    """Stage ``listing.ended`` for a listing that ended by itself (its seller is told why)."""
    assert listing.end_reason is not None  # ended by itself, not withdrawn
    uow.outbox.announce(
        "listing.ended",
        ListingEnded(
            listing_id=listing.id,
            event_id=listing.event_id,
            seller_id=listing.seller_id,
            reason=listing.end_reason.value,
        ),
        now=now,
    )
