"""The listings port: a ticket has one active listing at a time, listed only as it was
read; a listing withdrawn or ended leaves the event's listings for sale and frees its
ticket; an event's listings read cheapest first and a seller's newest first, in pages."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import Conflict, Contention
from admitone.domain.ids import Prefix, new_id
from admitone.domain.resale import (
    Listing,
    ListingEnd,
    ListingStatus,
    ListingUnavailable,
    TicketAlreadyListed,
    ended,
    ended_reserved,
    reopened,
    reserved,
    sold,
    withdrawn,
)
from admitone.domain.tickets import Scan, Ticket, TicketStatus
from admitone.ports.store import Store

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
EVENT_ID = "evt_01JD0000000000000000000000"


def _ticket(store: Store, *, event_id: str = EVENT_ID, **changes: object) -> Ticket:
    ticket = replace(
        Ticket(
            id=new_id(Prefix.TICKET, now=NOW),
            code="ABCD-2345",
            order_id=new_id(Prefix.ORDER, now=NOW),
            event_id=event_id,
            ticket_type_id="tty_ga",
            holder_id=new_id(Prefix.USER, now=NOW),
            token="signed-token",
            issued_at=NOW,
            changed_at=NOW,
        ),
        **changes,
    )
    uow = store.unit_of_work()
    uow.tickets.issue(ticket)
    uow.commit()
    return ticket


def _listing(ticket: Ticket, *, price: int = 12000, at: datetime = NOW) -> Listing:
    return Listing(
        id=new_id(Prefix.RESALE_LISTING, now=at),
        event_id=ticket.event_id,
        ticket_id=ticket.id,
        ticket_version=ticket.version,
        ticket_type_id=ticket.ticket_type_id,
        seller_id=ticket.holder_id,
        price_cents=price,
        face_value_cents=10000,
        currency="USD",
        created_at=at,
    )


def _open(store: Store, listing: Listing, ticket: Ticket) -> None:
    uow = store.unit_of_work()
    uow.listings.open(listing, ticket)
    uow.commit()


def _close(store: Store, listing: Listing) -> None:
    uow = store.unit_of_work()
    uow.listings.close(listing)
    uow.commit()


def test_a_listing_reads_back_by_id_ticket_event_and_seller(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    uow = store.unit_of_work()
    uow.listings.open(listing, ticket)
    assert store.listings.get(listing.id) is None  # nothing lands before the commit
    uow.commit()
    assert store.listings.get(listing.id) == listing
    assert store.listings.active_of_ticket(ticket.id) == listing
    assert store.listings.active_of_event(EVENT_ID, limit=10, start=None) == ([listing], None)
    assert store.listings.of_seller(ticket.holder_id, limit=10, start=None) == ([listing], None)
    assert store.listings.of_seller("usr_someone_else", limit=10, start=None) == ([], None)


def test_a_ticket_listed_already_is_refused_and_nothing_of_the_second_lands(store: Store):
    ticket = _ticket(store)
    first = _listing(ticket)
    _open(store, first, ticket)
    second = _listing(ticket, price=9000)
    with pytest.raises(TicketAlreadyListed) as refused:
        _open(store, second, ticket)
    assert refused.value.code == "TICKET_ALREADY_LISTED"
    assert store.listings.get(second.id) is None
    assert store.listings.active_of_ticket(ticket.id) == first


@pytest.mark.parametrize(
    "moved",
    [
        {"version": 2, "holder_id": "usr_recipient"},  # transferred
        {"status": TicketStatus.VOID},
        {"scans": 1, "first_scan": Scan("scn_1", NOW, None, "dev_1")},
    ],
    ids=["transferred", "void", "scanned"],
)
def test_a_ticket_that_changed_since_it_was_read_is_not_listed(
    store: Store, moved: dict[str, object]
):
    stored = _ticket(store, **moved)
    as_read = replace(
        stored,
        version=1,
        holder_id="usr_seller" if "holder_id" in moved else stored.holder_id,
        status=TicketStatus.VALID,
        scans=0,
        first_scan=None,
    )
    listing = _listing(as_read)
    with pytest.raises(Conflict):
        _open(store, listing, as_read)
    assert store.listings.get(listing.id) is None
    assert store.listings.active_of_ticket(stored.id) is None


def test_a_closed_listing_leaves_the_market_and_frees_its_ticket(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    _open(store, listing, ticket)
    gone = withdrawn(listing, now=LATER)
    _close(store, gone)
    assert store.listings.get(listing.id) == gone
    assert store.listings.active_of_ticket(ticket.id) is None
    assert store.listings.active_of_event(EVENT_ID, limit=10, start=None) == ([], None)

    again = _listing(ticket, price=11000, at=LATER)
    _open(store, again, ticket)
    over = ended(again, ListingEnd.TICKET_SCANNED, now=LATER)
    _close(store, over)
    stored = store.listings.get(again.id)
    assert stored is not None
    assert (stored.status, stored.end_reason, stored.ended_at) == (
        ListingStatus.ENDED,
        ListingEnd.TICKET_SCANNED,
        LATER,
    )
    mine, _ = store.listings.of_seller(ticket.holder_id, limit=10, start=None)
    assert mine == [over, gone]  # newest first, every status


def test_a_listing_closes_once(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    _open(store, listing, ticket)
    _close(store, withdrawn(listing, now=LATER))
    with pytest.raises(ListingUnavailable):
        _close(store, ended(listing, ListingEnd.TICKET_VOIDED, now=LATER))
    stored = store.listings.get(listing.id)
    assert stored is not None
    assert stored.status is ListingStatus.WITHDRAWN


def test_an_events_listings_page_cheapest_first(store: Store):
    event_id = new_id(Prefix.EVENT, now=NOW)
    prices = [10000, 999, 15000, 5000, 999, 123456]  # digit counts differ: padding orders them
    listings = []
    for price in prices:
        ticket = _ticket(store, event_id=event_id)
        listing = _listing(ticket, price=price)
        _open(store, listing, ticket)
        listings.append(listing)
    other = _ticket(store)
    _open(store, _listing(other, price=1), other)

    seen: list[Listing] = []
    start = None
    while True:
        page, start = store.listings.active_of_event(event_id, limit=4, start=start)
        seen += page
        if start is None:
            break
    assert [one.price_cents for one in seen] == sorted(prices)
    assert seen == sorted(listings, key=lambda one: (one.price_cents, one.id))


def test_a_sellers_listings_page_newest_first(store: Store):
    seller = new_id(Prefix.USER, now=NOW)
    listings = []
    for minute in range(5):
        ticket = _ticket(store, holder_id=seller)
        listing = _listing(ticket, at=NOW + timedelta(minutes=minute))
        _open(store, listing, ticket)
        listings.append(listing)
    first, start = store.listings.of_seller(seller, limit=3, start=None)
    assert start is not None
    rest, end = store.listings.of_seller(seller, limit=3, start=start)
    assert end is None
    assert first + rest == listings[::-1]


def test_sellers_racing_to_list_one_ticket_open_exactly_one_listing(store: Store):
    ticket = _ticket(store)
    contenders = [_listing(ticket, price=10000 + n) for n in range(8)]
    barrier = threading.Barrier(len(contenders))
    outcomes: list[str] = []

    def attempt(listing: Listing) -> None:
        barrier.wait()
        try:
            _open(store, listing, ticket)
            outcomes.append("listed")
        except TicketAlreadyListed:
            outcomes.append("already listed")
        except Contention:
            outcomes.append("contended")

    threads = [threading.Thread(target=attempt, args=(one,)) for one in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("listed") == 1
    assert len(outcomes) == len(contenders)
    winner = store.listings.active_of_ticket(ticket.id)
    assert winner is not None
    assert [one for one in contenders if store.listings.get(one.id)] == [winner]


def _reserve(store: Store, listing: Listing, ticket: Ticket) -> None:
    uow = store.unit_of_work()
    uow.listings.reserve(listing, ticket)
    uow.commit()


def _settle(store: Store, held: Listing, after: Listing) -> None:
    uow = store.unit_of_work()
    uow.listings.settle_reservation(held, after)
    uow.commit()


def test_a_reserved_listing_leaves_the_market_but_keeps_its_ticket_listed(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    _open(store, listing, ticket)
    held = reserved(listing, "esc_1")
    _reserve(store, held, ticket)
    assert store.listings.get(listing.id) == held
    assert store.listings.active_of_event(EVENT_ID, limit=10, start=None) == ([], None)
    assert store.listings.active_of_ticket(ticket.id) == held
    with pytest.raises(ListingUnavailable):
        _reserve(store, reserved(listing, "esc_2"), ticket)  # held for esc_1
    with pytest.raises(TicketAlreadyListed):
        _open(store, _listing(ticket, at=LATER), ticket)

    _settle(store, held, reopened(held))  # its payment was let go: for sale again
    assert store.listings.active_of_event(EVENT_ID, limit=10, start=None) == ([listing], None)
    assert store.listings.active_of_ticket(ticket.id) == listing
    with pytest.raises(ListingUnavailable):
        _settle(store, held, sold(held, now=LATER))  # no longer reserved

    again = reserved(listing, "esc_2")
    _reserve(store, again, ticket)
    with pytest.raises(ListingUnavailable):
        _settle(store, held, sold(held, now=LATER))  # reserved for another escrow
    gone = sold(again, now=LATER)
    _settle(store, again, gone)
    assert store.listings.get(listing.id) == gone
    assert store.listings.active_of_ticket(ticket.id) is None


def test_a_listing_is_reserved_only_while_its_ticket_is_as_listed(store: Store):
    stored = _ticket(store, version=2, holder_id="usr_recipient")
    as_listed = replace(stored, version=1, holder_id="usr_seller")
    listing = _listing(as_listed)
    uow = store.unit_of_work()
    uow.listings.open(listing, stored)  # listed as stored, then read as listed
    uow.commit()
    with pytest.raises(ListingUnavailable):
        _reserve(store, reserved(listing, "esc_1"), as_listed)
    assert store.listings.get(listing.id) == listing


def test_an_ended_reservation_frees_its_ticket(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    _open(store, listing, ticket)
    held = reserved(listing, "esc_1")
    _reserve(store, held, ticket)
    over = ended_reserved(held, ListingEnd.TICKET_VOIDED, now=LATER)
    _settle(store, held, over)
    assert store.listings.get(listing.id) == over
    assert store.listings.active_of_ticket(ticket.id) is None


def test_of_buyers_racing_to_reserve_one_listing_exactly_one_does(store: Store):
    ticket = _ticket(store)
    listing = _listing(ticket)
    _open(store, listing, ticket)
    contenders = [reserved(listing, f"esc_{n}") for n in range(8)]
    barrier = threading.Barrier(len(contenders))
    outcomes: list[str] = []

    def attempt(held: Listing) -> None:
        barrier.wait()
        try:
            _reserve(store, held, ticket)
            outcomes.append("reserved")
        except ListingUnavailable:
            outcomes.append("unavailable")
        except Contention:
            outcomes.append("contended")

    threads = [threading.Thread(target=attempt, args=(one,)) for one in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("reserved") == 1
    assert len(outcomes) == len(contenders)
    stored = store.listings.get(listing.id)
    assert stored is not None
    assert stored.status is ListingStatus.RESERVED
