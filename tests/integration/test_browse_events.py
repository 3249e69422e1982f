"""Public browsing through the API: search published events (filters, order, cursor
pages, honest filtering) and an event's detail with live availability. Items are
written directly in the documented shapes, as the catalog and inventory write them."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import put_op, to_attributes, transact
from admitone.config import settings
from admitone.domain.catalog import normalize_city
from admitone.domain.cursors import encode_cursor
from admitone.domain.ids import Prefix, new_id
from admitone.services.browse_events import EventSearch, search_events
from tests.conftest import sample_event
from tests.integration.conftest import Api, ApiResponse, AwsStack

NOW = datetime.now(UTC).replace(microsecond=0)
SOON = NOW + timedelta(days=10)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Catalog:
    """Writes events, ticket types and inventory shards as their owners do."""

    aws: AwsStack
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def put(self, *items: dict[str, Any]) -> None:
        self.aws.use_function("SearchEventsFunction")
        if len(items) <= 100:
            transact([put_op(item) for item in items])
            return
        # In bulk: moto copies the whole table for each transaction (minutes for 500 items).
        dynamodb, table = self.aws.client("dynamodb"), settings().table_name
        for start in range(0, len(items), 25):
            chunk = items[start : start + 25]
            requests = [{"PutRequest": {"Item": to_attributes(item)}} for item in chunk]
            assert not dynamodb.batch_write_item(RequestItems={table: requests})["UnprocessedItems"]

    def event_item(
        self,
        *,
        title: str = "An evening",
        description: str = "Live on stage.",
        category: str = "music",
        city: str = "Nashville",
        starts_at: datetime = SOON,
        status: str = "published",
        prices: tuple[int, int] | None = (2500, 5000),
        event_id: str | None = None,
    ) -> dict[str, Any]:
        event_id = event_id or new_id(Prefix.EVENT)
        item: dict[str, Any] = {
            **keys.event(event_id),
            "entity": "event",
            "event_id": event_id,
            "venue_id": "ven_01JDQ3Z8K4M2N6P8R0T2V4X6Z0",
            "owner_id": "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Z0",
            "title": title,
            "description": description,
            "category": category,
            "starts_at": iso(starts_at),
            "ends_at": iso(starts_at + timedelta(hours=3)),
            "sales_start": iso(NOW - timedelta(days=1)),
            "sales_end": iso(starts_at),
            "registration_deadline": iso(starts_at - timedelta(days=7)),
            "timezone": "America/Chicago",
            "city": city,
            "city_key": normalize_city(city),
            "currency": "USD",
            "status": status,
            "hold_minutes": 15,
            "high_demand": False,
            "nft_enabled": False,
            "resale": {"allowed": True, "min_pct": 50, "max_pct": 150},
            "created_at": int(NOW.timestamp()),
        }
        if prices is not None:
            item["min_price_cents"], item["max_price_cents"] = prices
        if status == "published":
            position = f"{iso(starts_at)}#{event_id}"
            item.update(
                {
                    "GSI2PK": keys.PUBLISHED,
                    "GSI3PK": keys.published_in_city(normalize_city(city)),
                    "GSI4PK": keys.published_in_category(category),
                    "GSI2SK": position,
                    "GSI3SK": position,
                    "GSI4SK": position,
                }
            )
        return item

    def event(self, **fields: Any) -> str:
        item = self.event_item(**fields)
        self.put(item)
        return str(item["event_id"])

    def events(self, count: int, start: datetime = SOON, **fields: Any) -> list[str]:
        """``count`` events an hour apart from ``start``, in start order."""
        items = [
            self.event_item(starts_at=start + timedelta(hours=n), **fields) for n in range(count)
        ]
        self.put(*items)
        return [str(item["event_id"]) for item in items]


def ticket_type_item(
    event_id: str,
    name: str,
    price_cents: int,
    *,
    hidden: bool = False,
    pool_id: str | None = None,
    shards: int = 1,
    sales_end: datetime | None = None,
) -> dict[str, Any]:
    tty_id = new_id(Prefix.TICKET_TYPE)
    item: dict[str, Any] = {
        **keys.ticket_type(event_id, tty_id),
        "entity": "ticket_type",
        "ticket_type_id": tty_id,
        "event_id": event_id,
        "name": name,
        "price_cents": price_cents,
        "currency": "USD",
        "capacity": 100,
        "max_per_order": 4,
        "max_scans": 1,
        "hidden": hidden,
        "shards": shards,
    }
    if pool_id is not None:
        item["pool_id"] = pool_id
    if sales_end is not None:
        item["sales_end"] = iso(sales_end)
    return item


def shard_items(event_id: str, owner_id: str, *available: int) -> list[dict[str, Any]]:
    return [
        {
            **keys.inventory_shard(event_id, owner_id, n),
            "entity": "inventory_shard",
            "event_id": event_id,
            "owner_id": owner_id,
            "shard": n,
            "available": left,
            "held": 1,
            "sold": 2,
            "capacity": left + 3,
        }
        for n, left in enumerate(available)
    ]


@pytest.fixture
def catalog(aws: AwsStack) -> Catalog:
    return Catalog(aws)


def search(api: Api, **params: Any) -> ApiResponse:
    query = urlencode({key.rstrip("_"): value for key, value in params.items()})
    return api.get(f"/events?{query}" if query else "/events")


def found(api: Api, **params: Any) -> list[str]:
    response = search(api, **params)
    assert response.status == 200, response.body
    return [event["id"] for event in response.json()["events"]]


def every_page(api: Api, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        response = search(api, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status == 200, response.body
        body = response.json()
        pages.append([event["id"] for event in body["events"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor does not advance"


def assert_problem(response: ApiResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


# ------------------------------------------------------------------- listing
def test_published_events_are_listed_by_start_time_and_drafts_never(api: Api, catalog: Catalog):
    later = catalog.event(title="Later", starts_at=SOON + timedelta(days=2))
    first = catalog.event(title="First", starts_at=SOON)
    middle = catalog.event(title="Middle", starts_at=SOON + timedelta(days=1))
    catalog.event(title="Draft", status="draft", starts_at=SOON + timedelta(hours=1))
    catalog.event(title="Cancelled", status="cancelled", starts_at=SOON + timedelta(hours=2))
    catalog.event(title="Started", starts_at=NOW - timedelta(hours=1))

    response = search(api)

    assert response.status == 200
    body = response.json()
    assert [e["id"] for e in body["events"]] == [first, middle, later]
    assert body["next_cursor"] is None
    assert body["events"][0] == {
        "id": first,
        "title": "First",
        "category": "music",
        "starts_at": iso(SOON),
        "ends_at": iso(SOON + timedelta(hours=3)),
        "timezone": "America/Chicago",
        "city": "Nashville",
        "venue_id": "ven_01JDQ3Z8K4M2N6P8R0T2V4X6Z0",
        "min_price_cents": 2500,
        "max_price_cents": 5000,
        "min_all_in_price_cents": 2500 + 205,  # the starter tier's 8.2 % platform fee
        "max_all_in_price_cents": 5000 + 410,
        "currency": "USD",
    }


def test_city_is_matched_whatever_its_case_and_spacing(api: Api, catalog: Catalog):
    austin = catalog.event(city="Austin")
    catalog.event(city="Nashville")
    sf = catalog.event(city="San  Francisco", starts_at=SOON + timedelta(hours=1))

    assert found(api, city="  AUSTIN ") == [austin]
    assert found(api, city="san francisco") == [sf]
    assert found(api, city="Boston") == []


def test_category_filters_events(api: Api, catalog: Catalog):
    comedy = catalog.event(category="comedy")
    catalog.event(category="music")

    assert found(api, category="comedy") == [comedy]
    assert_problem(search(api, category="opera"), 422, "VALIDATION_FAILED")


def test_every_word_of_q_must_appear_in_title_or_description(api: Api, catalog: Catalog):
    both = catalog.event(title="Jazz at Noon", description="Brunch with a live TRIO.")
    title_only = catalog.event(
        title="Jazz brunch", description="Eggs.", starts_at=SOON + timedelta(hours=1)
    )
    catalog.event(title="Rock night", description="Loud.", starts_at=SOON + timedelta(hours=2))

    assert found(api, q="jazz") == [both, title_only]
    assert found(api, q="JAZZ trio") == [both]
    assert found(api, q="trio, jazz!") == [both]
    assert found(api, q="jaz") == []


def test_from_and_to_bound_the_start_date(api: Api, catalog: Catalog):
    day = (NOW + timedelta(days=20)).replace(hour=12, minute=0, second=0)
    before, morning, night, after = (
        catalog.event(starts_at=day - timedelta(days=1)),
        catalog.event(starts_at=day - timedelta(hours=11)),
        catalog.event(starts_at=day + timedelta(hours=11, minutes=59)),
        catalog.event(starts_at=day + timedelta(days=1)),
    )
    date = day.date().isoformat()

    assert found(api, from_=date, to=date) == [morning, night]
    assert found(api, from_=iso(day - timedelta(hours=11)), to=iso(day)) == [morning]
    assert found(api, from_=day.isoformat(), to=(day + timedelta(days=1)).isoformat()) == [
        night,
        after,
    ]
    assert found(api, to=date) == [before, morning, night]
    assert found(api, from_=(day - timedelta(hours=11)).replace(tzinfo=None).isoformat())[0] == (
        morning
    )


def test_without_from_only_upcoming_events_are_listed(api: Api, catalog: Catalog):
    # The wall clock of this test, not of the module's import: a long run would make an
    # event "five minutes from now" at import a past one by the time this runs.
    now = datetime.now(UTC).replace(microsecond=0)
    catalog.event(starts_at=now - timedelta(days=3))
    upcoming = catalog.event(starts_at=now + timedelta(minutes=5))
    past = catalog.event(starts_at=now - timedelta(days=2))

    assert found(api) == [upcoming]
    assert found(api, to=iso(now - timedelta(days=1))) == []
    assert found(api, from_=iso(now - timedelta(days=2)))[:2] == [past, upcoming]


def test_price_range_keeps_events_with_a_price_inside_it(api: Api, catalog: Catalog):
    cheap = catalog.event(prices=(1000, 2000))
    mid = catalog.event(prices=(3000, 8000), starts_at=SOON + timedelta(hours=1))
    dear = catalog.event(prices=(9000, 20000), starts_at=SOON + timedelta(hours=2))
    catalog.event(prices=None, starts_at=SOON + timedelta(hours=3))

    assert found(api, min_price=2500, max_price=3500) == [mid]
    assert found(api, max_price=2000) == [cheap]
    assert found(api, min_price=8000) == [mid, dear]
    assert found(api, min_price=0) == [cheap, mid, dear]
    assert len(found(api)) == 4


def test_filters_combine(api: Api, catalog: Catalog):
    day = NOW + timedelta(days=40)
    match = catalog.event(
        title="Late show", description="Stand-up", category="comedy", city="Austin", starts_at=day
    )
    for changes in (
        {"category": "music"},
        {"city": "Dallas"},
        {"title": "Early show", "description": "Sketches"},
        {"prices": (9000, 9900)},
        {"starts_at": day + timedelta(days=3)},
        {"status": "draft"},
    ):
        catalog.event(
            **{
                "title": "Late show",
                "description": "Stand-up",
                "category": "comedy",
                "city": "Austin",
                "starts_at": day,
                **changes,
            }
        )
    filters = {
        "city": "austin",
        "category": "comedy",
        "q": "late",
        "min_price": 1000,
        "max_price": 3000,
        "from": day.date().isoformat(),
        "to": day.date().isoformat(),
    }

    assert found(api, **filters) == [match]


def test_contradictory_or_malformed_filters_are_422(api: Api):
    body = assert_problem(
        search(api, from_="2026-12-02", to="2026-12-01"), 422, "VALIDATION_FAILED"
    )
    assert body["errors"][0]["field"] == "query.to"
    assert_problem(search(api, min_price=500, max_price=100), 422, "VALIDATION_FAILED")
    body = assert_problem(search(api, from_="next tuesday"), 422, "VALIDATION_FAILED")
    assert body["errors"][0]["field"] == "query.from"
    assert_problem(search(api, min_price=-1), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"from_": "0001-01-01T00:00:00Z"}, "query.from"),
        ({"from_": "0001-01-01T00:00:00+23:59"}, "query.from"),
        ({"from_": "0001-01-01"}, "query.from"),
        ({"to": "9999-12-31T23:59:59-23:59"}, "query.to"),
        ({"to": "9999-12-31"}, "query.to"),
        ({"from_": "2026-12-01T00:00:00", "to": "2101-01-01T00:00:00+00:00"}, "query.to"),
    ],
    ids=["year-1", "year-1-east", "year-1-day", "year-9999-west", "year-9999-day", "2101"],
)
def test_time_filters_outside_the_years_searched_are_422_naming_the_filter(
    api: Api, filters: dict[str, str], field: str
):
    body = assert_problem(search(api, **filters), 422, "VALIDATION_FAILED")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, "DATE_OUT_OF_RANGE")]


def test_time_filters_at_the_edges_of_the_years_searched_work(api: Api, catalog: Catalog):
    upcoming = catalog.event(starts_at=SOON)
    edges = {"from_": "2000-01-01T00:00:00Z", "to": "2100-12-31T23:59:59+00:00"}
    assert found(api, **edges) == [upcoming]
    assert found(api, from_="2000-01-01", to="2100-12-31T12:00:00+11:00") == [upcoming]


# ---------------------------------------------------------------- pagination
def test_pages_follow_each_other_without_duplicates_or_gaps(api: Api, catalog: Catalog):
    ids = catalog.events(7)

    pages = every_page(api, limit=2)

    assert len(pages) >= 4
    assert all(len(page) == 2 for page in pages[:3])
    assert list(itertools.chain.from_iterable(pages)) == ids


def test_filtered_pages_also_resume_exactly(api: Api, catalog: Catalog):
    ids = catalog.events(9, city="Austin", category="theatre")
    catalog.events(5, city="Austin", category="music", start=SOON + timedelta(minutes=30))

    for params in ({"city": "austin", "category": "theatre"}, {"category": "theatre"}):
        pages = every_page(api, limit=3, **params)
        assert list(itertools.chain.from_iterable(pages)) == ids


def test_filters_are_applied_honestly_across_many_non_matching_events(api: Api, catalog: Catalog):
    catalog.events(520, title="Rock night")
    wanted = catalog.events(3, title="Jazz night", start=SOON + timedelta(days=30))

    first = search(api, q="jazz", limit=10).json()
    # 500 events examined, none matching: an honest short page, and a way on.
    assert first["events"] == []
    assert first["next_cursor"] is not None

    pages = every_page(api, q="jazz", limit=10)
    assert list(itertools.chain.from_iterable(pages)) == wanted


def test_sparse_matches_fill_whole_pages(api: Api, catalog: Catalog):
    items = [
        catalog.event_item(
            title="Jazz" if n % 4 == 0 else "Rock", starts_at=SOON + timedelta(hours=n)
        )
        for n in range(60)
    ]
    catalog.put(*items)
    wanted = [item["event_id"] for item in items if item["title"] == "Jazz"]

    pages = every_page(api, q="jazz", limit=4)

    assert [len(page) for page in pages[:3]] == [4, 4, 4]
    assert list(itertools.chain.from_iterable(pages)) == wanted


def test_page_size_is_1_to_100_and_20_by_default(api: Api, catalog: Catalog):
    catalog.events(25)

    assert len(found(api)) == 20
    assert len(found(api, limit=1)) == 1
    assert len(found(api, limit=100)) == 25
    for limit in (0, 101, "many"):
        body = assert_problem(search(api, limit=limit), 422, "VALIDATION_FAILED")
        assert body["errors"][0]["field"] == "query.limit"


def test_a_cursor_that_was_altered_or_is_for_other_filters_is_400(api: Api, catalog: Catalog):
    catalog.events(3, city="Austin")
    cursor = search(api, city="austin", limit=1).json()["next_cursor"]
    assert cursor

    payload, tag = cursor.split(".")
    for bad in (
        cursor[:-2],
        f"{payload}.{tag[::-1]}",
        f"{payload[:-1]}A.{tag}",
        "not-a-cursor",
        "",
    ):
        body = assert_problem(search(api, city="austin", cursor=bad), 400, "CURSOR_INVALID")
        assert body["errors"][0]["field"] == "query.cursor"
    assert_problem(search(api, city="boston", cursor=cursor), 400, "CURSOR_INVALID")
    assert_problem(search(api, city="austin", q="jazz", cursor=cursor), 400, "CURSOR_INVALID")
    # Same city, spelled differently: the same query, so the same cursor is good.
    assert search(api, city=" AUSTIN", cursor=cursor, limit=1).status == 200


def test_a_cursor_signed_with_another_key_is_400(api: Api, catalog: Catalog):
    catalog.events(2)
    cursor = search(api, limit=1).json()["next_cursor"]
    # A well-formed cursor for the very same query, signed with a key not ours.
    payload = cursor.split(".")[0]
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = encode_cursor(document["p"], document["f"], b"k" * 32)

    assert_problem(search(api, cursor=forged), 400, "CURSOR_INVALID")


def test_a_page_resumes_even_after_its_default_start_moved_past_the_cursor(
    aws: AwsStack, catalog: Catalog
):
    ids = catalog.events(6, start=NOW + timedelta(hours=1))
    aws.use_function("SearchEventsFunction")
    first = search_events(EventSearch(), limit=2, now=NOW)
    assert [e.id for e in first.events] == ids[:2]

    # 3.5 hours on, the first three have started: the next page starts at "now".
    later = search_events(
        EventSearch(), limit=2, cursor=first.next_cursor, now=NOW + timedelta(hours=3, minutes=30)
    )
    assert [e.id for e in later.events] == ids[3:5]


# -------------------------------------------------------------------- detail
def test_detail_shows_visible_ticket_types_with_live_availability(api: Api, catalog: Catalog):
    event = catalog.event_item(title="Festival", prices=(1500, 9900))
    event_id = event["event_id"]
    pool_id = "pool_family"
    general = ticket_type_item(event_id, "General", 4500, shards=2)
    adult = ticket_type_item(event_id, "Adult", 3000, pool_id=pool_id)
    child = ticket_type_item(event_id, "Child", 1500, pool_id=pool_id)
    gone = ticket_type_item(event_id, "Early bird", 2000, sales_end=SOON - timedelta(days=5))
    secret = ticket_type_item(event_id, "Backstage", 9900, hidden=True)
    pool = {
        **keys.capacity_pool(event_id, pool_id),
        "entity": "capacity_pool",
        "pool_id": pool_id,
        "event_id": event_id,
        "name": "Family",
        "capacity": 10,
        "shards": 2,
    }
    catalog.put(
        event,
        general,
        adult,
        child,
        gone,
        secret,
        pool,
        {**event, **{"PK": f"EVENT#{event_id}", "SK": "VOUCHER#FRIENDS", "entity": "voucher"}},
        *shard_items(event_id, general["ticket_type_id"], 3, 4),
        *shard_items(event_id, adult["ticket_type_id"], 10),
        *shard_items(event_id, child["ticket_type_id"], 2),
        *shard_items(event_id, pool_id, 3, 2),
        *shard_items(event_id, gone["ticket_type_id"], 0),
        *shard_items(event_id, secret["ticket_type_id"], 50),
    )

    response = api.get(f"/events/{event_id}")

    assert response.status == 200, response.body
    body = response.json()
    assert "owner_id" not in body
    assert (body["id"], body["title"], body["status"]) == (event_id, "Festival", "published")
    assert (body["min_price_cents"], body["max_price_cents"]) == (1500, 4500)
    types = {tt["name"]: tt for tt in body["ticket_types"]}
    assert set(types) == {"General", "Adult", "Child", "Early bird"}  # not the hidden one
    assert (types["General"]["available"], types["General"]["sold_out"]) == (7, False)
    assert types["Adult"]["available"] == 5  # the pool bounds it (own 10, pool 5)
    assert types["Child"]["available"] == 2  # its own shards bound it (own 2, pool 5)
    assert (types["Early bird"]["available"], types["Early bird"]["sold_out"]) == (0, True)
    assert types["Early bird"]["sales_end"] == iso(SOON - timedelta(days=5))
    assert types["General"]["sales_start"] == event["sales_start"]
    assert types["General"] == {
        "id": general["ticket_type_id"],
        "name": "General",
        "price_cents": 4500,
        "all_in_price_cents": 4500 + 369,  # the starter tier's 8.2 % platform fee
        "currency": "USD",
        "max_per_order": 4,
        "sales_start": event["sales_start"],
        "sales_end": event["sales_end"],
        "available": 7,
        "sold_out": False,
    }


def test_a_ticket_type_without_inventory_shows_nothing_available(api: Api, catalog: Catalog):
    event = catalog.event_item()
    catalog.put(event, ticket_type_item(event["event_id"], "General", 1000))

    (only,) = api.get(f"/events/{event['event_id']}").json()["ticket_types"]

    assert (only["available"], only["sold_out"]) == (0, True)


def test_a_draft_or_unknown_event_is_404(api: Api, catalog: Catalog):
    draft = catalog.event(status="draft")
    cancelled = catalog.event(status="cancelled")

    for event_id in (draft, new_id(Prefix.EVENT)):
        assert_problem(api.get(f"/events/{event_id}"), 404, "NOT_FOUND")
    # Not an event id at all: refused by its shape, before any read.
    for malformed in ("evt_nope", new_id(Prefix.EVENT).lower()):
        response = api.get(f"/events/{malformed}")
        assert_problem(response, 422, "VALIDATION_FAILED")
        assert [e["field"] for e in response.json()["errors"]] == ["path.event_id"]
    assert api.get(f"/events/{cancelled}").json()["status"] == "cancelled"


# ------------------------------------------------------------- sample events
def test_the_sample_events_answer_as_documented(aws: AwsStack, catalog: Catalog):
    jazz = catalog.events(3, title="Jazz night", category="music", city="nashville")
    catalog.events(2, title="Rock night", category="music", city="Nashville")

    ok = aws.invoke_sample("SearchEventsFunction", "ok")
    bad = aws.invoke_sample("SearchEventsFunction", "bad_cursor")
    unknown = aws.invoke_sample("GetEventFunction", "unknown")

    assert ok["statusCode"] == 200
    body = json.loads(ok["body"])
    assert [e["id"] for e in body["events"]] == jazz[:2]
    assert body["next_cursor"]
    assert (bad["statusCode"], json.loads(bad["body"])["code"]) == (400, "CURSOR_INVALID")
    assert (unknown["statusCode"], json.loads(unknown["body"])["code"]) == (404, "NOT_FOUND")


def test_a_query_parameter_the_search_does_not_read_is_a_422_naming_it(aws: AwsStack):
    event = sample_event("events.search_events", "ok")
    event["rawQueryString"] = "colour=red"
    event["queryStringParameters"] = {"colour": "red"}
    response = aws.invoke("SearchEventsFunction", event)
    assert response["statusCode"] == 422
    body = json.loads(response["body"])
    assert [e["field"] for e in body["errors"]] == ["query.colour"]
