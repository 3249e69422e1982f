"""Resale listings end by themselves (issue 19, step 1): a ticket scanned, transferred,
refunded or voided, or its event cancelled, ends its listing with the reason, through
the domain event's own queue (EndListingsFunction) or, where the change runs on the
unit of work (a cancelled event's free tickets), in that same transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from scripts.devstack.pollers import SqsPoller
from tests.conftest import sample_event
from tests.integration.conftest import Api, AwsStack, InProcessRuntime
from tests.integration.gate_kit import Gates, Holder, buy, gate_crew, tonight_shop
from tests.integration.money_kit import ask_refund
from tests.integration.shop import Shop, open_shop
from tests.integration.test_cancellation_refunds import announce, cancel
from tests.integration.test_cancellation_refunds import drain as run_cancellation_refunds
from tests.integration.test_free_orders import voucher
from tests.integration.test_notifier import publish_outbox

CONSUMER = "EndListingsFunction"


def consumer_source(aws: AwsStack) -> Any:
    return next(s for s in aws.stack.sqs_sources() if s.function_id == CONSUMER)


def end_listings(aws: AwsStack) -> int:
    """The outbox published to the bus, then the consumer run on all its queue holds."""
    publish_outbox(aws)
    aws.use_function(CONSUMER)
    poller = SqsPoller(consumer_source(aws), InProcessRuntime(aws), aws.client("sqs"), None, print)  # type: ignore[arg-type]
    handled = 0
    while count := poller.poll_once():
        handled += count
    return handled


def deliver(aws: AwsStack, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """One bus event straight to the consumer, as its queue hands it over."""
    event = sample_event("resale.end_listings", "unlisted_ticket")
    body = json.loads(event["Records"][0]["body"])
    body["detail-type"] = event_type
    body["detail"]["data"] = data
    event["Records"][0]["body"] = json.dumps(body)
    return dict(aws.invoke(CONSUMER, event))


def listed(shop: Shop, holder: Holder, ticket: dict[str, Any], price: int) -> str:
    response = shop.api.post(
        f"/tickets/{ticket['id']}/listings", {"price_cents": price}, token=holder.token
    )
    assert response.status == 201, response.body
    return str(response.json()["listing_id"])


def shown(shop: Shop, listing_id: str) -> dict[str, Any]:
    return dict(shop.api.get(f"/listings/{listing_id}").json())


def for_sale(shop: Shop) -> list[str]:
    page = shop.api.get(f"/events/{shop.event_id}/listings").json()
    return [one["listing_id"] for one in page["listings"]]


@pytest.fixture
def tonight(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


@pytest.fixture
def crew(tonight: Shop) -> Gates:
    return gate_crew(tonight)


def test_a_scanned_ticket_ends_its_listing_once_however_often_it_is_told(
    aws: AwsStack, tonight: Shop, crew: Gates
):
    holder = buy(tonight, 2)
    scanned, kept = holder.tickets
    scanned_listing = listed(tonight, holder, scanned, 2500)
    kept_listing = listed(tonight, holder, kept, 3000)
    assert crew.scan(scanned["qr_token"]).json()["result"] == "admitted"
    assert end_listings(aws) >= 1

    ended = shown(tonight, scanned_listing)
    assert (ended["status"], ended["end_reason"]) == ("ended", "ticket_scanned")
    assert shown(tonight, kept_listing)["status"] == "active"
    assert for_sale(tonight) == [kept_listing]
    mine = tonight.api.get("/me/listings", token=holder.token).json()["listings"]
    assert {(one["listing_id"], one["status"]) for one in mine} == {
        (scanned_listing, "ended"),
        (kept_listing, "active"),
    }
    # The same domain event again (at-least-once delivery): nothing moves, nothing fails.
    scan_data = {
        "ticket_id": scanned["id"],
        "event_id": tonight.event_id,
        "ticket_type_id": tonight.types["ga"],
        "scan_id": "scn_again",
        "gate": "A",
        "device_id": "dev_again",
        "scanned_at": datetime.now(UTC).isoformat(),
        "offline": False,
    }
    assert deliver(aws, "ticket.checked_in", scan_data) == {"batchItemFailures": []}
    assert shown(tonight, scanned_listing) == ended
    # A used ticket cannot be listed again.
    again = tonight.api.post(
        f"/tickets/{scanned['id']}/listings", {"price_cents": 2500}, token=holder.token
    )
    assert again.status == 409
    assert again.json()["code"] == "TICKET_NOT_LISTABLE"


def test_a_transferred_ticket_ends_its_listing_and_its_new_holder_may_list_it(
    aws: AwsStack, tonight: Shop
):
    holder = buy(tonight, 1)
    ticket = holder.tickets[0]
    listing_id = listed(tonight, holder, ticket, 2500)
    moved = tonight.api.post(
        f"/tickets/{ticket['id']}/transfer", {"email": "friend@example.com"}, token=holder.token
    )
    assert moved.status == 200, moved.body
    end_listings(aws)
    ended = shown(tonight, listing_id)
    assert (ended["status"], ended["end_reason"]) == ("ended", "ticket_transferred")
    assert for_sale(tonight) == []


def test_a_refunded_ticket_ends_its_listing(aws: AwsStack, api: Api):
    shop = open_shop(api, aws)
    holder = buy(shop, 2)
    refunded, kept = holder.tickets
    refunded_listing = listed(shop, holder, refunded, 5000)
    kept_listing = listed(shop, holder, kept, 5000)
    asked = ask_refund(shop.api, holder.order_id, holder.token, {"ticket_ids": [refunded["id"]]})
    assert asked.status == 201, asked.body
    end_listings(aws)
    ended = shown(shop, refunded_listing)
    assert (ended["status"], ended["end_reason"]) == ("ended", "ticket_refunded")
    assert for_sale(shop) == [kept_listing]


def test_a_voided_ticket_ends_its_listing(aws: AwsStack, tonight: Shop):
    """A lost dispute voids the order's valid tickets and says which (``order.charged_back``)."""
    holder = buy(tonight, 2)
    voided, kept = holder.tickets
    voided_listing = listed(tonight, holder, voided, 2500)
    kept_listing = listed(tonight, holder, kept, 2500)
    charged_back = {
        "order_id": holder.order_id,
        "event_id": tonight.event_id,
        "dispute_id": "dp_lost",
        "amount": 2500,
        "currency": "USD",
        "void_ticket_ids": [voided["id"]],
    }
    for _ in range(2):
        assert deliver(aws, "order.charged_back", charged_back) == {"batchItemFailures": []}
    ended = shown(tonight, voided_listing)
    assert (ended["status"], ended["end_reason"]) == ("ended", "ticket_voided")
    assert shown(tonight, kept_listing)["status"] == "active"


def test_a_cancelled_event_ends_all_its_listings(aws: AwsStack, tonight: Shop):
    holders = [buy(tonight, 2), buy(tonight, 1)]
    listings = [
        listed(tonight, holder, ticket, 2500 + n)
        for holder in holders
        for n, ticket in enumerate(holder.tickets)
    ]
    withdrawn = listings.pop()
    assert (
        tonight.api.request("DELETE", f"/listings/{withdrawn}", token=holders[1].token).status
        == 200
    )
    cancel(tonight)
    assert for_sale(tonight) == []  # none for sale from the moment it is cancelled
    end_listings(aws)
    for listing_id in listings:
        ended = shown(tonight, listing_id)
        assert (ended["status"], ended["end_reason"]) == ("ended", "event_cancelled")
    assert shown(tonight, withdrawn)["status"] == "withdrawn"
    assert deliver(aws, "event.cancelled", _cancelled(tonight)) == {"batchItemFailures": []}


def _cancelled(shop: Shop) -> dict[str, Any]:
    return {
        "event_id": shop.event_id,
        "venue_id": "ven_1",
        "reason": "again",
        "cancelled_by": "usr_1",
        "previous_status": "published",
    }


def test_a_cancelled_events_free_tickets_end_their_listings_as_they_are_voided(
    aws: AwsStack, api: Api
):
    """Voiding a cancelled event's free tickets runs on the unit of work: their listings
    end in that same transaction, before any domain event is published."""
    shop = open_shop(api, aws)
    voucher(shop, "ALLFREE", "percent", 10_000, max_uses=1)
    user_id, token = shop.buyer()
    placed = shop.order(token, {"ga": 1}, voucher_code="allfree")
    assert placed.status == 201, placed.body
    ticket = placed.json()["tickets"][0]
    holder = Holder(user_id, token, placed.json()["order_id"], [ticket])
    listing_id = listed(shop, holder, ticket, 5000)  # face value 5000, whatever was paid
    cancel(shop)
    announce(aws, shop.event_id)
    run_cancellation_refunds(aws)
    assert shop.api.get(f"/tickets/{ticket['id']}", token=token).json()["status"] == "void"
    ended = shown(shop, listing_id)
    assert (ended["status"], ended["end_reason"]) == ("ended", "event_cancelled")


def test_the_sample_event_ends_nothing_for_a_ticket_never_listed(aws: AwsStack):
    response = aws.invoke_sample("EndListingsFunction", "unlisted_ticket")
    assert response == {"batchItemFailures": []}
