"""A venue's royalties over a range of days on the fakes: resales and their reversals
summed per event and in all, counted on the day they were booked, the events in cursor
pages bound to the venue and range; bad ranges and strangers refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.cursors import CursorInvalid
from admitone.domain.errors import NotFound, ValidationFailed
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.domain.resale import Royalties, split_resale
from admitone.services.venue_royalties import venue_royalties
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop

DAY = NOW.date()


@pytest.fixture(autouse=True)
def cursor_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admitone.services.venue_royalties.cursor_key", lambda: b"k" * 32)


def _owner(shop: Shop) -> Principal:
    return Principal(
        user_id=shop.event.owner_id,
        roles=frozenset({Role.BUYER, Role.ORGANIZER}),
        email="o@example.com",
    )


def _book(shop: Shop, event_id: str, price: int, *, day: date, reversed_on: date | None = None):
    party = ledger.ResaleParty(
        escrow_id=new_id(Prefix.ESCROW, now=NOW),
        listing_id=new_id(Prefix.RESALE_LISTING, now=NOW),
        event_id=event_id,
        venue_id=shop.event.venue_id,
        seller_id=new_id(Prefix.USER, now=NOW),
        currency="USD",
    )
    split = split_resale(price, Royalties(venue_bps=1000, artist_bps=200))
    at = NOW + (day - DAY)
    uow = shop.store.unit_of_work()
    uow.ledger.book(ledger.resale(party, split), now=at)
    uow.commit()
    if reversed_on is not None:
        uow = shop.store.unit_of_work()
        uow.ledger.book(ledger.resale_reversed(party, split), now=NOW + (reversed_on - DAY))
        uow.commit()


def test_royalties_sum_per_event_and_in_all_on_the_day_each_was_booked():
    shop = open_shop()
    other_event = new_id(Prefix.EVENT, now=NOW)
    _book(shop, shop.event.id, 15000, day=DAY)
    _book(shop, shop.event.id, 10000, day=DAY, reversed_on=DAY + timedelta(days=8))
    _book(shop, other_event, 5000, day=DAY + timedelta(days=1))
    _book(shop, shop.event.id, 9000, day=DAY + timedelta(days=30))  # out of range

    page = venue_royalties(
        shop.ports, shop.event.venue_id, _owner(shop),
        first=DAY, last=DAY + timedelta(days=8), limit=10, cursor=None,
    )  # fmt: skip

    by_event = {row.event_id: row for row in page.events}
    mine = by_event[shop.event.id]
    # 1500 + 1000 released, 1000 reversed; the artist's 2 %: 300 + 200 - 200.
    assert (mine.venue_royalty, mine.artist_royalty, mine.resales, mine.reversals) == (
        1500, 300, 2, 1,
    )  # fmt: skip
    other = by_event[other_event]
    assert (other.venue_royalty, other.artist_royalty, other.resales) == (500, 100, 1)
    [total] = page.totals
    assert (total.event_id, total.venue_royalty, total.artist_royalty) == (None, 2000, 400)
    # Before the reversal's day the reversed resale still counts.
    before = venue_royalties(
        shop.ports, shop.event.venue_id, _owner(shop),
        first=DAY, last=DAY + timedelta(days=7), limit=10, cursor=None,
    )  # fmt: skip
    assert before.totals[0].venue_royalty == 3000


def test_events_come_in_cursor_pages_and_the_totals_on_every_page():
    shop = open_shop()
    events = sorted(new_id(Prefix.EVENT, now=NOW) + str(n) for n in range(3))
    for event_id in events:
        _book(shop, event_id, 10000, day=DAY)
    seen: list[str | None] = []
    cursor = None
    while True:
        page = venue_royalties(
            shop.ports, shop.event.venue_id, _owner(shop),
            first=DAY, last=DAY, limit=2, cursor=cursor,
        )  # fmt: skip
        assert page.totals[0].venue_royalty == 3000
        seen += [row.event_id for row in page.events]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == events
    with pytest.raises(CursorInvalid):
        venue_royalties(
            shop.ports, shop.event.venue_id, _owner(shop),
            first=DAY, last=DAY + timedelta(days=1), limit=2,
            cursor=venue_royalties(
                shop.ports, shop.event.venue_id, _owner(shop),
                first=DAY, last=DAY, limit=1, cursor=None,
            ).next_cursor,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("first", "last", "field", "code"),
    [
        (DAY, DAY - timedelta(days=1), "to", "DATES_ORDER"),
        (DAY, DAY + timedelta(days=366), "to", "RANGE_TOO_LONG"),
        (date(9999, 12, 31), date(9999, 12, 31), "from", "DATE_OUT_OF_RANGE"),
    ],
)
def test_a_bad_range_is_refused_naming_the_field(first: date, last: date, field: str, code: str):
    shop = open_shop()
    with pytest.raises(ValidationFailed) as refused:
        venue_royalties(
            shop.ports, shop.event.venue_id, _owner(shop),
            first=first, last=last, limit=10, cursor=None,
        )  # fmt: skip
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)


def test_a_stranger_sees_no_venue():
    shop = open_shop()
    with pytest.raises(NotFound):
        venue_royalties(
            shop.ports, shop.event.venue_id, a_buyer(),
            first=DAY, last=DAY, limit=10, cursor=None,
        )  # fmt: skip
