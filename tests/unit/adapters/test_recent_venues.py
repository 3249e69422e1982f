"""A container's copies of venues: pricing reads a venue at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters.dynamo.catalog import VENUE_MAX_AGE_SECONDS, RecentVenues
from admitone.domain.catalog import Address, Venue


def a_venue(venue_id: str, city: str = "Nashville") -> Venue:
    return Venue(
        id=venue_id,
        owner_id="usr_1",
        name="Arena",
        address=Address(
            line1="1 Arena Way", city=city, state="TN", postal_code="37201", country="US"
        ),
        timezone="America/Chicago",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class Table:
    def __init__(self) -> None:
        self.venues: dict[str, Venue] = {}
        self.reads: list[str] = []

    def load(self, venue_id: str) -> Venue | None:
        self.reads.append(venue_id)
        return self.venues.get(venue_id)


def test_a_venue_is_read_once_while_its_copy_is_younger_than_a_minute():
    table, now = Table(), [100.0]
    table.venues["ven_1"] = a_venue("ven_1")
    venues = RecentVenues(table.load, clock=lambda: now[0])

    assert venues.get("ven_1") == a_venue("ven_1")
    now[0] += VENUE_MAX_AGE_SECONDS - 0.5
    table.venues["ven_1"] = a_venue("ven_1", city="Memphis")
    assert venues.get("ven_1").address.city == "Nashville"  # type: ignore[union-attr]
    assert table.reads == ["ven_1"]


def test_a_change_reaches_the_copy_once_it_is_a_minute_old():
    table, now = Table(), [100.0]
    table.venues["ven_1"] = a_venue("ven_1")
    venues = RecentVenues(table.load, clock=lambda: now[0])
    venues.get("ven_1")

    table.venues["ven_1"] = a_venue("ven_1", city="Memphis")
    now[0] += VENUE_MAX_AGE_SECONDS

    assert venues.get("ven_1").address.city == "Memphis"  # type: ignore[union-attr]
    assert table.reads == ["ven_1", "ven_1"]


def test_a_venue_not_found_is_read_again_next_time():
    table = Table()
    venues = RecentVenues(table.load, clock=lambda: 0.0)

    assert venues.get("ven_new") is None
    table.venues["ven_new"] = a_venue("ven_new")
    assert venues.get("ven_new") == a_venue("ven_new")
    assert table.reads == ["ven_new", "ven_new"]
