"""Resale listings (issue 19, step 1): a holder lists a ticket within the event's
policy, anyone browses an event's listings cheapest first without learning who sells,
the seller withdraws a listing and sees their own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import catalog
from admitone.services.listings import listing as listing_as_of
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Holder, buy
from tests.integration.shop import Shop, open_shop

FACE = 10000


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def list_ticket(shop: Shop, holder: Holder, ticket: dict[str, Any], price: int) -> Any:
    return shop.api.post(
        f"/tickets/{ticket['id']}/listings", {"price_cents": price}, token=holder.token
    )


def _no_seller_in(view: dict[str, Any]) -> None:
    assert "seller_id" not in view
    assert "ticket_id" not in view


def test_a_listing_is_priced_within_half_to_one_and_a_half_times_face_value(shop: Shop):
    holder = buy(shop, 4)
    first, second, third, fourth = holder.tickets
    for price in (15001, 4999):
        refused = list_ticket(shop, holder, first, price)
        assert refused.status == 422, refused.body
        assert refused.headers["content-type"] == "application/problem+json"
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
            ("price_cents", "RESALE_PRICE_OUT_OF_RANGE")
        ]
    top = list_ticket(shop, holder, first, 15000)
    assert top.status == 201, top.body
    created = top.json()
    assert created["status"] == "active"
    assert (created["price_cents"], created["face_value_cents"], created["currency"]) == (
        15000,
        FACE,
        "USD",
    )
    assert created["ticket_id"] == first["id"]
    assert created["ticket_type_name"] == "GA"
    assert list_ticket(shop, holder, second, 5000).status == 201
    for bad in ({"price_cents": 0}, {"price_cents": "12000x"}, {"price_cents": 12000, "x": 1}, {}):
        malformed = shop.api.post(f"/tickets/{third['id']}/listings", bad, token=holder.token)
        assert malformed.status == 422, malformed.body
    assert list_ticket(shop, holder, fourth, 10**12).status == 422


def test_a_ticket_is_listed_once_and_only_by_its_holder(shop: Shop):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    assert list_ticket(shop, holder, ticket, 12000).status == 201
    again = list_ticket(shop, holder, ticket, 11000)
    assert again.status == 409
    assert again.json()["code"] == "TICKET_ALREADY_LISTED"

    stranger = buy(shop, 1)
    other = shop.api.post(
        f"/tickets/{stranger.tickets[0]['id']}/listings", {"price_cents": 12000}, token=holder.token
    )
    assert other.status == 404
    unknown = shop.api.post(
        "/tickets/tkt_01JDQ3Z8K4M2N6P8R0T2V4X6Z5/listings",
        {"price_cents": 12000},
        token=holder.token,
    )
    assert unknown.status == 404
    anonymous = shop.api.post(f"/tickets/{ticket['id']}/listings", {"price_cents": 12000})
    assert anonymous.status == 401


def test_an_event_without_resale_refuses_listings(api: Api, aws: AwsStack):
    shop = open_shop(
        api,
        aws,
        types={"ga": {"price_cents": FACE, "capacity": 10}},
        event={"resale": {"allowed": False}},
    )
    holder = buy(shop, 1)
    refused = list_ticket(shop, holder, holder.tickets[0], FACE)
    assert refused.status == 409
    assert refused.json()["code"] == "RESALE_NOT_ALLOWED"


def test_an_events_listings_are_public_cheapest_first_in_pages_without_the_seller(shop: Shop):
    holders = [buy(shop, 2), buy(shop, 2)]
    prices = iter([15000, 5000, 9999, 12000])
    for holder in holders:
        for ticket in holder.tickets:
            assert list_ticket(shop, holder, ticket, next(prices)).status == 201

    first = shop.api.get(f"/events/{shop.event_id}/listings?limit=3")
    assert first.status == 200, first.body
    page = first.json()
    rest = shop.api.get(f"/events/{shop.event_id}/listings?limit=3&cursor={page['next_cursor']}")
    listed = page["listings"] + rest.json()["listings"]
    assert rest.json()["next_cursor"] is None
    assert [one["price_cents"] for one in listed] == [5000, 9999, 12000, 15000]
    for view in listed:
        _no_seller_in(view)
        assert (view["status"], view["ticket_type_name"]) == ("active", "GA")
    bodies = (first.body + rest.body).decode()
    assert all(holder.user_id not in bodies for holder in holders)

    one = shop.api.get(f"/listings/{listed[0]['listing_id']}")
    assert one.status == 200
    assert one.json() == listed[0]

    other_event = open_shop(shop.api, shop.aws)
    mixed = shop.api.get(f"/events/{other_event.event_id}/listings?cursor={page['next_cursor']}")
    assert mixed.status == 400
    assert mixed.json()["code"] == "CURSOR_INVALID"
    assert shop.api.get(f"/events/{other_event.event_id}/listings").json()["listings"] == []
    assert shop.api.get("/events/evt_01JDQ3Z8K4M2N6P8R0T2V4X6Z0/listings").status == 404
    assert shop.api.get("/events/not-an-id/listings").status == 422
    assert shop.api.get(f"/events/{shop.event_id}/listings?limit=101").status == 422
    assert shop.api.get("/listings/lst_01JDQ3Z8K4M2N6P8R0T2V4X6Z7").status == 404


def test_the_seller_withdraws_a_listing_and_may_list_the_ticket_again(shop: Shop):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    listing_id = list_ticket(shop, holder, ticket, 12000).json()["listing_id"]
    _, stranger = shop.buyer()
    assert shop.api.request("DELETE", f"/listings/{listing_id}", token=stranger).status == 404
    assert shop.api.get(f"/listings/{listing_id}").json()["status"] == "active"

    gone = shop.api.request("DELETE", f"/listings/{listing_id}", token=holder.token)
    assert gone.status == 200, gone.body
    assert (gone.json()["status"], gone.json()["end_reason"]) == ("withdrawn", None)
    assert gone.json()["ended_at"] is not None
    again = shop.api.request("DELETE", f"/listings/{listing_id}", token=holder.token)
    assert again.status == 409
    assert again.json()["code"] == "LISTING_UNAVAILABLE"
    assert shop.api.get(f"/events/{shop.event_id}/listings").json()["listings"] == []
    assert shop.api.get(f"/listings/{listing_id}").json()["status"] == "withdrawn"

    relisted = list_ticket(shop, holder, ticket, 13000)
    assert relisted.status == 201
    mine = shop.api.get("/me/listings", token=holder.token).json()
    assert [(one["listing_id"], one["status"]) for one in mine["listings"]] == [
        (relisted.json()["listing_id"], "active"),
        (listing_id, "withdrawn"),
    ]
    assert all(one["ticket_id"] == ticket["id"] for one in mine["listings"])
    assert shop.api.get("/me/listings", token=stranger).json()["listings"] == []
    first = shop.api.get("/me/listings?limit=1", token=holder.token).json()
    assert len(first["listings"]) == 1
    stolen = shop.api.get(f"/me/listings?cursor={first['next_cursor']}", token=stranger)
    assert stolen.status == 400


def test_a_listing_reads_ended_once_its_event_has_started(shop: Shop):
    holder = buy(shop, 1)
    listing_id = list_ticket(shop, holder, holder.tickets[0], 12000).json()["listing_id"]
    event = catalog.get_event(shop.event_id)
    assert event is not None
    before = listing_as_of(ports().store, listing_id, now=event.starts_at - timedelta(seconds=1))
    after = listing_as_of(ports().store, listing_id, now=event.starts_at)
    assert before.status.value == "active"
    assert (after.status.value, after.end_reason, after.ended_at) == (
        "ended",
        "event_started",
        event.starts_at,
    )


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("CreateListingFunction", "unknown", 404),
        ("GetListingFunction", "unknown", 404),
        ("WithdrawListingFunction", "unknown", 404),
        ("ListEventListingsFunction", "unknown_event", 404),
        ("ListMyListingsFunction", "ok", 200),
    ],
)
def test_sample_events(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]
