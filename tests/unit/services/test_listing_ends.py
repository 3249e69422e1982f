"""Ending an event's listings in pages, when another change ends one of them first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.ids import Prefix, new_id
from admitone.domain.resale import Listing, ListingEnd, ListingStatus, withdrawn
from admitone.domain.tickets import Ticket
from admitone.services import listing_ends
from tests.fakes import FakePorts
from tests.fakes.store import FakeStore

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
EVENT_ID = "evt_1"


def _listed(store: FakeStore, count: int) -> list[Listing]:
    listings = []
    for n in range(count):
        ticket = Ticket(
            id=new_id(Prefix.TICKET, now=NOW),
            code="ABCD-2345",
            order_id="ord_1",
            event_id=EVENT_ID,
            ticket_type_id="tty_ga",
            holder_id="usr_seller",
            token="signed",
            issued_at=NOW,
        )
        store.tickets.add(ticket)
        listing = Listing(
            id=new_id(Prefix.RESALE_LISTING, now=NOW),
            event_id=EVENT_ID,
            ticket_id=ticket.id,
            ticket_version=1,
            ticket_type_id="tty_ga",
            seller_id="usr_seller",
            price_cents=5000 + n,
            face_value_cents=5000,
            currency="USD",
            created_at=NOW,
        )
        uow = store.unit_of_work()
        uow.listings.open(listing, ticket)
        uow.commit()
        listings.append(listing)
    return listings


def _statuses(store: FakeStore, listings: list[Listing]) -> list[tuple[str, str | None]]:
    found = [store.listings.get(one.id) for one in listings]
    return [
        (one.status.value, one.end_reason.value if one.end_reason else None)
        for one in found
        if one is not None
    ]


def test_every_page_of_an_events_listings_ends(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(listing_ends, "EVENT_PAGE", 2)
    store = FakeStore()
    listings = _listed(store, 5)
    assert listing_ends.end_for_event(store, EVENT_ID, ListingEnd.EVENT_CANCELLED, now=NOW) == 5
    assert _statuses(store, listings) == [("ended", "event_cancelled")] * 5


def test_a_listing_withdrawn_while_its_page_ends_is_left_withdrawn(
    monkeypatch: pytest.MonkeyPatch,
):
    store = FakeStore()
    listings = _listed(store, 3)
    stale_page = store.listings.active_of_event(EVENT_ID, limit=10, start=None)
    uow = store.unit_of_work()
    uow.listings.close(withdrawn(listings[1], now=NOW + timedelta(seconds=1)))
    uow.commit()
    # The index still shows the page as it was read before the withdrawal.
    monkeypatch.setattr(store.listings, "active_of_event", lambda *_, **__: stale_page)

    later = NOW + timedelta(seconds=2)
    assert listing_ends.end_for_event(store, EVENT_ID, ListingEnd.EVENT_CANCELLED, now=later) == 2
    assert _statuses(store, listings) == [
        ("ended", "event_cancelled"),
        ("withdrawn", None),
        ("ended", "event_cancelled"),
    ]
    assert store.listings.active_of_ticket(listings[0].ticket_id) is None
    stored = store.listings.get(listings[1].id)
    assert stored is not None
    assert stored.status is ListingStatus.WITHDRAWN


def test_a_domain_event_that_ends_no_listing_ends_none():
    ports = FakePorts()
    listings = _listed(ports.store, 1)
    assert listing_ends.on_domain_event(ports, "order.paid", {"order_id": "ord_1"}, now=NOW) == 0
    assert _statuses(ports.store, listings) == [("active", None)]
