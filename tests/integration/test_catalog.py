"""Organizers build the catalog through the API: venues, events, ticket types sharing
pools, vouchers, publishing and cancelling, with ownership and state rules enforced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import keys
from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def organizer(aws: AwsStack) -> str:
    return aws.access_token(new_id(Prefix.USER), "buyer", "organizer")


@pytest.fixture
def buyer(aws: AwsStack) -> str:
    return aws.access_token(new_id(Prefix.USER), "buyer")


VENUE = {
    "name": "The Ryman",
    "address": {
        "line1": "116 5th Ave N",
        "city": "Nashville",
        "state": "TN",
        "postal_code": "37219",
        "country": "US",
    },
    "timezone": "America/Chicago",
}


def event_body(venue_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "venue_id": venue_id,
        "title": "Opry Night",
        "description": "Country classics, live.",
        "category": "music",
        "starts_at": iso(NOW + timedelta(days=30)),
        "ends_at": iso(NOW + timedelta(days=30, hours=3)),
        "sales_start": iso(NOW - timedelta(days=1)),
        "sales_end": iso(NOW + timedelta(days=30)),
        **changes,
    }


def create(api: Api, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    response = api.post(path, body, token=token)
    assert response.status == 201, response.body
    return response.json()


def an_event(api: Api, token: str) -> tuple[str, str]:
    venue = create(api, "/venues", VENUE, token)
    event = create(api, "/events", event_body(venue["id"]), token)
    return venue["id"], event["id"]


def test_an_organizer_builds_an_event_with_a_shared_pool_and_publishes_it(api, organizer):
    _, event_id = an_event(api, organizer)
    pool = create(
        api,
        f"/events/{event_id}/capacity-pools",
        {"name": "Floor", "capacity": 500, "shards": 4},
        organizer,
    )
    adult = create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "Adult", "price_cents": 5000, "capacity": 500, "shards": 4, "pool_id": pool["id"]},
        organizer,
    )
    child = create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "Child", "price_cents": 2500, "capacity": 200, "pool_id": pool["id"]},
        organizer,
    )
    assert (adult["pool_id"], child["pool_id"]) == (pool["id"], pool["id"])

    published = api.post(f"/events/{event_id}/publish", token=organizer)
    assert published.status == 200
    assert published.json()["status"] == "published"
    again = api.post(f"/events/{event_id}/publish", token=organizer)
    assert (again.status, again.json()["code"]) == (409, "INVALID_TRANSITION")

    stats = api.get(f"/events/{event_id}/stats", token=organizer).json()
    by_name = {row["name"]: row for row in stats["ticket_types"]}
    assert by_name["Adult"]["available"] == 500
    assert by_name["Child"]["available"] == 200
    assert all(row["sold"] == row["held"] == row["gross_cents"] == 0 for row in by_name.values())


def test_only_organizers_create_venues_and_only_owners_see_their_events(api, organizer, buyer, aws):
    refused = api.post("/venues", VENUE, token=buyer)
    assert (refused.status, refused.json()["code"]) == (403, "FORBIDDEN")
    venue_id, event_id = an_event(api, organizer)
    stranger = aws.access_token(new_id(Prefix.USER), "buyer", "organizer")
    for token in (buyer, stranger):
        patch = api.request(
            "PATCH", f"/events/{event_id}", json_body={"title": "Mine now"}, token=token
        )
        assert (patch.status, patch.json()["code"]) == (404, "NOT_FOUND")
        assert api.get(f"/events/{event_id}/stats", token=token).status == 404
    foreign_venue = api.post("/events", event_body(venue_id), token=stranger)
    assert foreign_venue.status == 404
    admin = aws.access_token(new_id(Prefix.USER), "admin")
    assert api.get(f"/events/{event_id}/stats", token=admin).status == 200


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"ends_at": iso(NOW + timedelta(days=29))}, {"ends_at", "sales_end"}),
        ({"sales_end": iso(NOW + timedelta(days=40))}, {"sales_end"}),
        ({"hold_minutes": 45}, {"body.hold_minutes"}),
        ({"starts_at": "2026-12-01T20:00:00"}, {"body.starts_at"}),
        ({"category": "karaoke"}, {"body.category"}),
        ({"currency": "JPY"}, {"body.currency"}),
        ({"surprise": True}, {"body.surprise"}),
    ],
)
def test_an_inconsistent_event_is_refused_naming_every_bad_field(api, organizer, changes, fields):
    venue = create(api, "/venues", VENUE, organizer)
    response = api.post("/events", event_body(venue["id"], **changes), token=organizer)
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    assert {error["field"] for error in response.json()["errors"]} == fields


@pytest.mark.parametrize(
    ("venue", "field"),
    [
        ({**VENUE, "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({**VENUE, "address": {**VENUE["address"], "state": "ZZ"}}, "address.state"),
        ({**VENUE, "address": {**VENUE["address"], "country": "usa"}}, "body.address.country"),
    ],
)
def test_a_venue_with_an_unknown_zone_or_address_is_refused(api, organizer, venue, field):
    response = api.post("/venues", venue, token=organizer)
    assert response.status == 422
    assert field in {error["field"] for error in response.json()["errors"]}


def test_royalty_rates_are_set_on_the_venue_and_overridden_by_an_event_within_bounds(
    api, organizer
):
    venue = create(api, "/venues", VENUE, organizer)
    assert venue["royalties"] == {"venue_bps": 1000, "artist_bps": 0}  # RULES §13 defaults
    event = create(api, "/events", event_body(venue["id"]), organizer)
    assert event["resale"]["royalties"] is None  # the venue's

    rates = {"venue_bps": 1200, "artist_bps": 300}
    changed = api.request(
        "PATCH", f"/venues/{venue['id']}", json_body={"royalties": rates}, token=organizer
    )
    assert (changed.status, changed.json()["royalties"]) == (200, rates)
    assert api.get(f"/venues/{venue['id']}", token=organizer).json()["royalties"] == rates
    own = {"venue_bps": 0, "artist_bps": 500}
    overridden = api.request(
        "PATCH",
        f"/events/{event['id']}",
        json_body={"resale": {"royalties": own}},
        token=organizer,
    )
    assert (overridden.status, overridden.json()["resale"]["royalties"]) == (200, own)

    for path, body, field in (
        (f"/venues/{venue['id']}", {"royalties": {"venue_bps": 5001}}, "body.royalties.venue_bps"),
        (f"/venues/{venue['id']}", {"royalties": {"artist_bps": -1}}, "body.royalties.artist_bps"),
        (
            f"/venues/{venue['id']}",
            {"royalties": {"venue_bps": 3000, "artist_bps": 2001}},
            "royalties",
        ),
        (
            f"/events/{event['id']}",
            {"resale": {"royalties": {"venue_bps": 4000, "artist_bps": 1001}}},
            "resale.royalties",
        ),
    ):
        refused = api.request("PATCH", path, json_body=body, token=organizer)
        assert refused.status == 422, refused.body
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in {error["field"] for error in refused.json()["errors"]}
    assert api.get(f"/venues/{venue['id']}", token=organizer).json()["royalties"] == rates


def test_once_published_the_schedule_is_frozen_but_the_title_is_not(api, organizer):
    _, event_id = an_event(api, organizer)
    create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10},
        organizer,
    )
    api.post(f"/events/{event_id}/publish", token=organizer)
    frozen = api.request(
        "PATCH",
        f"/events/{event_id}",
        json_body={"starts_at": iso(NOW + timedelta(days=31))},
        token=organizer,
    )
    assert (frozen.status, frozen.json()["code"]) == (409, "INVALID_TRANSITION")
    assert [e["field"] for e in frozen.json()["errors"]] == ["starts_at"]
    renamed = api.request(
        "PATCH", f"/events/{event_id}", json_body={"title": "Opry Late"}, token=organizer
    )
    assert renamed.json()["title"] == "Opry Late"


def test_publishing_needs_a_ticket_type(api, organizer):
    _, event_id = an_event(api, organizer)
    response = api.post(f"/events/{event_id}/publish", token=organizer)
    assert (response.status, response.json()["code"]) == (409, "INVALID_TRANSITION")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currency": "EUR"}, "currency"),
        ({"capacity": 0}, "body.capacity"),
        ({"shards": 17}, "body.shards"),
        ({"max_per_order": 11}, "body.max_per_order"),
        ({"price_cents": -1}, "body.price_cents"),
        ({"sales_end": iso(NOW + timedelta(days=60))}, "sales_end"),
    ],
)
def test_a_ticket_type_out_of_range_is_refused(api, organizer, body, field):
    _, event_id = an_event(api, organizer)
    response = api.post(
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10, **body},
        token=organizer,
    )
    assert response.status == 422
    assert field in {error["field"] for error in response.json()["errors"]}


def test_capacity_and_price_change_within_the_rules(api, organizer, aws):
    _, event_id = an_event(api, organizer)
    ticket_type = create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10, "shards": 2},
        organizer,
    )
    path = f"/events/{event_id}/ticket-types/{ticket_type['id']}"
    both = api.request(
        "PATCH", path, json_body={"capacity": 25, "price_cents": 3500}, token=organizer
    )
    assert (both.status, both.json()["errors"][0]["code"]) == (422, "ONE_AT_A_TIME")
    grown = api.request("PATCH", path, json_body={"capacity": 25}, token=organizer)
    repriced = api.request("PATCH", path, json_body={"price_cents": 3500}, token=organizer)
    assert (grown.json()["capacity"], repriced.json()["price_cents"]) == (25, 3500)

    aws.use_function("CreateTicketTypeFunction")
    from admitone.adapters.dynamo import catalog  # noqa: PLC0415
    from admitone.adapters.dynamo.store import DynamoStore  # noqa: PLC0415
    from admitone.services import inventory  # noqa: PLC0415

    held_type = catalog.event_partition(event_id).ticket_types[ticket_type["id"]]
    inventory.hold(DynamoStore(), event_id, [(held_type, 20)])
    too_small = api.request("PATCH", path, json_body={"capacity": 19}, token=organizer)
    assert (too_small.status, too_small.json()["code"]) == (409, "CAPACITY_BELOW_COMMITTED")
    frozen = api.request("PATCH", path, json_body={"price_cents": 1}, token=organizer)
    assert (frozen.status, frozen.json()["code"]) == (409, "PRICE_FROZEN")
    assert api.request("PATCH", path, json_body={"capacity": 20}, token=organizer).status == 200
    stats = api.get(f"/events/{event_id}/stats", token=organizer).json()["ticket_types"][0]
    assert (stats["capacity"], stats["held"], stats["available"]) == (20, 20, 0)


def test_the_organizer_sees_the_all_in_price_that_buyers_are_shown(api, organizer):
    venue_id, event_id = an_event(api, organizer)
    path = f"/events/{event_id}/ticket-types"
    plain = create(api, path, {"name": "GA", "price_cents": 5000, "capacity": 10}, organizer)
    assert plain["all_in_price_cents"] == 5000 + 410  # the starter tier's 8.2 % platform fee
    repriced = api.request(
        "PATCH", f"{path}/{plain['id']}", json_body={"price_cents": 4500}, token=organizer
    )
    assert repriced.json()["all_in_price_cents"] == 4500 + 369

    minted = create(api, "/events", event_body(venue_id, nft_enabled=True), organizer)
    nft = create(
        api,
        f"/events/{minted['id']}/ticket-types",
        {"name": "GA", "price_cents": 5000, "capacity": 10},
        organizer,
    )
    assert api.post(f"/events/{minted['id']}/publish", token=organizer).status == 200
    [shown] = api.get(f"/events/{minted['id']}").json()["ticket_types"]
    assert nft["all_in_price_cents"] == shown["all_in_price_cents"] > plain["all_in_price_cents"]


def test_vouchers_are_unique_per_event_and_listed_for_the_owner(api, organizer, buyer):
    _, event_id = an_event(api, organizer)
    ticket_type = create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10},
        organizer,
    )
    created = create(
        api,
        f"/events/{event_id}/vouchers",
        {
            "code": " early-bird ",
            "kind": "percent",
            "value": 1500,
            "max_uses": 10,
            "ticket_type_ids": [ticket_type["id"]],
        },
        organizer,
    )
    assert created["code"] == "EARLY-BIRD"
    duplicate = api.post(
        f"/events/{event_id}/vouchers",
        {"code": "EARLY-BIRD", "kind": "fixed", "value": 500},
        token=organizer,
    )
    assert (duplicate.status, duplicate.json()["code"]) == (409, "ALREADY_EXISTS")
    unknown = api.post(
        f"/events/{event_id}/vouchers",
        {"code": "VIP", "kind": "access", "ticket_type_ids": ["tty_nope"]},
        token=organizer,
    )
    assert unknown.json()["errors"][0]["field"] == "ticket_type_ids"
    listed = api.get(f"/events/{event_id}/vouchers", token=organizer).json()["vouchers"]
    assert [(v["code"], v["uses"]) for v in listed] == [("EARLY-BIRD", 0)]
    assert api.get(f"/events/{event_id}/vouchers", token=buyer).status == 404


def test_cancelling_announces_event_cancelled_in_the_same_write(api, organizer, aws):
    _, event_id = an_event(api, organizer)
    create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10},
        organizer,
    )
    api.post(f"/events/{event_id}/publish", token=organizer)
    cancelled = api.post(f"/events/{event_id}/cancel", {"reason": "storm"}, token=organizer)
    assert cancelled.json()["status"] == "cancelled"
    items = [
        item
        for pending in keys.outbox_pending_lists()
        for item in aws.client("dynamodb").query(
            TableName=aws.stack.physical_name("Table"),
            IndexName="GSI3",
            KeyConditionExpression="GSI3PK = :p",
            ExpressionAttributeValues={":p": {"S": pending}},
        )["Items"]
    ]
    announced = [
        json.loads(json.dumps(i["detail"]["M"]["data"]["M"]))
        for i in items
        if i["event_type"]["S"] == "event.cancelled"
    ]
    assert [a["event_id"]["S"] for a in announced] == [event_id]
    again = api.post(f"/events/{event_id}/cancel", {"reason": "twice"}, token=organizer)
    assert again.status == 409
    assert (
        api.post(
            f"/events/{event_id}/ticket-types",
            {"name": "Late", "price_cents": 1, "capacity": 1},
            token=organizer,
        ).status
        == 409
    )


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("CreateVenueFunction", "ok", 201),
        ("GetVenueFunction", "unknown", 404),
        ("UpdateVenueFunction", "not_owner", 404),
        ("UpdateVenueFunction", "royalties", 404),
        ("CreateEventFunction", "unknown_venue", 404),
        ("UpdateEventFunction", "not_owner", 404),
        ("UpdateEventFunction", "royalties", 404),
        ("PublishEventFunction", "not_owner", 404),
        ("CancelEventFunction", "not_owner", 404),
        ("CreateTicketTypeFunction", "not_owner", 404),
        ("UpdateTicketTypeFunction", "not_owner", 404),
        ("CreateCapacityPoolFunction", "not_owner", 404),
        ("CreateVoucherFunction", "not_owner", 404),
        ("ListVouchersFunction", "not_owner", 404),
        ("EventStatsFunction", "not_owner", 404),
    ],
)
def test_each_catalog_sample_event_gets_its_documented_answer(aws, function_id, scenario, status):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response.get("body")


# ------------------------------------------------------------------ date windows
YEAR_1_EAST = "0001-01-01T00:00:00+23:59"  # would not even convert to UTC
YEAR_9999_WEST = "9999-12-31T23:59:59-23:59"
IN_2106 = datetime(2106, 3, 1, 20, tzinfo=UTC)  # past what a ticket token can carry


def errors_of(response) -> list[tuple[str, str]]:
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {
                "starts_at": iso(IN_2106),
                "ends_at": iso(IN_2106 + timedelta(hours=3)),
                "sales_end": iso(IN_2106),
            },
            {
                ("body.starts_at", "DATE_OUT_OF_RANGE"),
                ("body.ends_at", "DATE_OUT_OF_RANGE"),
                ("body.sales_end", "DATE_OUT_OF_RANGE"),
            },
        ),
        (
            {
                "starts_at": iso(NOW + timedelta(days=6 * 365)),
                "ends_at": iso(NOW + timedelta(days=6 * 365, hours=3)),
                "sales_end": iso(NOW + timedelta(days=6 * 365)),
            },
            {("starts_at", "DATE_TOO_FAR")},
        ),
        (
            {
                "starts_at": iso(NOW - timedelta(hours=1)),
                "ends_at": iso(NOW + timedelta(hours=2)),
                "sales_end": iso(NOW + timedelta(hours=1)),
            },
            {("starts_at", "DATE_PASSED")},
        ),
        ({"sales_start": YEAR_1_EAST}, {("body.sales_start", "DATE_OUT_OF_RANGE")}),
        (
            {"registration_deadline": YEAR_9999_WEST},
            {("body.registration_deadline", "DATE_OUT_OF_RANGE")},
        ),
        ({"ends_at": iso(NOW + timedelta(days=38))}, {("ends_at", "EVENT_TOO_LONG")}),
    ],
    ids=["in-2106", "beyond-five-years", "started", "year-1", "year-9999", "ten-day-concert"],
)
def test_an_event_outside_the_window_the_system_can_honour_is_refused(
    api, organizer, changes, errors
):
    venue = create(api, "/venues", VENUE, organizer)
    response = api.post("/events", event_body(venue["id"], **changes), token=organizer)
    assert set(errors_of(response)) == errors


def test_an_event_at_the_edges_of_its_window_is_created_and_published(api, organizer):
    """A festival of 30 days starting four years and eleven months from now."""
    venue = create(api, "/venues", VENUE, organizer)
    starts = NOW + timedelta(days=4 * 365 + 330)
    event = create(
        api,
        "/events",
        event_body(
            venue["id"],
            category="festival",
            starts_at=iso(starts),
            ends_at=iso(starts + timedelta(days=30)),
            sales_end=iso(starts),
        ),
        organizer,
    )
    create(
        api,
        f"/events/{event['id']}/ticket-types",
        {"name": "Pass", "price_cents": 30000, "capacity": 10},
        organizer,
    )
    published = api.post(f"/events/{event['id']}/publish", token=organizer)
    assert published.status == 200, published.body


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"starts_at": iso(IN_2106), "ends_at": iso(IN_2106 + timedelta(hours=2))},
            {("body.starts_at", "DATE_OUT_OF_RANGE"), ("body.ends_at", "DATE_OUT_OF_RANGE")},
        ),
        (
            {
                "starts_at": iso(NOW + timedelta(days=2000)),
                "ends_at": iso(NOW + timedelta(days=2000, hours=2)),
            },
            {("starts_at", "DATE_TOO_FAR")},
        ),
        ({"sales_start": YEAR_1_EAST}, {("body.sales_start", "DATE_OUT_OF_RANGE")}),
    ],
    ids=["in-2106", "beyond-five-years", "year-1"],
)
def test_a_draft_cannot_be_moved_out_of_its_window(api, organizer, changes, errors):
    _, event_id = an_event(api, organizer)
    response = api.request("PATCH", f"/events/{event_id}", json_body=changes, token=organizer)
    assert set(errors_of(response)) == errors
    assert api.get(f"/events/{event_id}/stats", token=organizer).status == 200


def test_a_draft_written_in_2106_before_the_rule_is_not_published(api, aws, organizer):
    """An event stored before the window was a rule cannot go on sale: its tickets'
    tokens could not carry its date, and the money would come without a seat."""
    _, event_id = an_event(api, organizer)
    create(
        api,
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10},
        organizer,
    )
    aws.client("dynamodb").update_item(
        TableName=aws.stack.function("PublishEventFunction").environment["TABLE_NAME"],
        Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": "EVENT"}},
        UpdateExpression="SET starts_at = :starts, ends_at = :ends",
        ExpressionAttributeValues={
            ":starts": {"S": iso(IN_2106)},
            ":ends": {"S": iso(IN_2106 + timedelta(hours=3))},
        },
    )
    response = api.post(f"/events/{event_id}/publish", token=organizer)
    assert ("starts_at", "DATE_OUT_OF_RANGE") in errors_of(response)
    assert api.get(f"/events/{event_id}").status == 404  # still a draft


@pytest.mark.parametrize("moment", [YEAR_1_EAST, YEAR_9999_WEST], ids=["year-1", "year-9999"])
def test_ticket_type_and_voucher_dates_out_of_range_are_refused(api, organizer, moment):
    _, event_id = an_event(api, organizer)
    ticket_type = api.post(
        f"/events/{event_id}/ticket-types",
        {"name": "GA", "price_cents": 3000, "capacity": 10, "sales_start": moment},
        token=organizer,
    )
    assert errors_of(ticket_type) == [("body.sales_start", "DATE_OUT_OF_RANGE")]
    voucher = api.post(
        f"/events/{event_id}/vouchers",
        {"code": "EARLY", "kind": "fixed", "value": 500, "valid_to": moment},
        token=organizer,
    )
    assert errors_of(voucher) == [("body.valid_to", "DATE_OUT_OF_RANGE")]
