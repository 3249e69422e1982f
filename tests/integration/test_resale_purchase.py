"""Buying a resale listing through the API (issue 19): the buyer's purchase reserves the
listing under a manual-capture PaymentIntent on the local Stripe; the seller, a second
buyer and a withdrawn listing are refused with stable codes; buyers racing for one
listing with real threads against moto: exactly one reserves it, every other
PaymentIntent is cancelled, none is charged."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from admitone.adapters.stripe_api import stripe_client
from admitone.domain import ledger
from admitone.domain.ids import Prefix, new_id
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.wiring import ports
from scripts.ledger_check import run as ledger_check
from tests.conftest import sample_event
from tests.integration.conftest import Api, ApiResponse, AwsStack
from tests.integration.gate_kit import Holder, buy, gate_crew, tonight_shop
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import Shop, open_shop, pay

FACE = 10000


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def _listed(shop: Shop, price: int = 15000) -> tuple[Holder, dict[str, Any]]:
    seller = buy(shop, 1)
    listed = shop.api.post(
        f"/tickets/{seller.tickets[0]['id']}/listings", {"price_cents": price}, token=seller.token
    )
    assert listed.status == 201, listed.body
    return seller, listed.json()


def _purchase(shop: Shop, listing_id: str, token: str, key: str | None = None) -> ApiResponse:
    return shop.api.post(
        f"/listings/{listing_id}/purchase",
        token=token,
        headers={"Idempotency-Key": key or f"resale-{uuid.uuid4()}"},
    )


def _intents_of(listing_id: str) -> list[Any]:
    # Every page: the session's local Stripe holds the PaymentIntents of all tests before.
    every = stripe_client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [
        pi for pi in every if (pi.to_dict().get("metadata") or {}).get("listing_id") == listing_id
    ]


def test_a_purchase_reserves_the_listing_under_a_manual_capture_payment_intent(shop: Shop):
    seller, listing = _listed(shop)
    _, token = shop.buyer()
    key = f"resale-{uuid.uuid4()}"

    bought = _purchase(shop, listing["listing_id"], token, key)

    assert bought.status == 201, bought.body
    purchase = bought.json()
    assert (purchase["status"], purchase["amount_cents"], purchase["currency"]) == (
        "created",
        15000,
        "USD",
    )
    assert purchase["payment"]["client_secret"]
    intent = stripe_client().v1.payment_intents.retrieve(purchase["payment"]["payment_intent_id"])
    assert (intent.amount, intent.capture_method, intent.status) == (
        15000,
        "manual",
        "requires_payment_method",
    )
    assert intent.metadata["escrow_id"] == purchase["escrow_id"]
    shown = shop.api.get(f"/listings/{listing['listing_id']}")
    assert shown.json()["status"] == "reserved"
    for_sale = shop.api.get(f"/events/{shop.event_id}/listings")
    assert for_sale.json()["listings"] == []
    replayed = _purchase(shop, listing["listing_id"], token, key)
    assert replayed.status == 201
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.json() == purchase
    assert seller.user_id not in bought.body.decode()


def test_the_seller_a_second_buyer_and_a_withdrawn_listing_are_refused(shop: Shop):
    seller, listing = _listed(shop)
    own = _purchase(shop, listing["listing_id"], seller.token)
    assert own.status == 403, own.body
    assert own.headers["content-type"] == "application/problem+json"
    assert own.json()["code"] == "OWN_LISTING"
    _, first = shop.buyer()
    assert _purchase(shop, listing["listing_id"], first).status == 201
    _, second = shop.buyer()
    refused = _purchase(shop, listing["listing_id"], second)
    assert refused.status == 409, refused.body
    assert refused.json()["code"] == "LISTING_UNAVAILABLE"

    other_seller, other = _listed(shop)
    gone = shop.api.request("DELETE", f"/listings/{other['listing_id']}", token=other_seller.token)
    assert gone.status == 200, gone.body
    withdrawn = _purchase(shop, other["listing_id"], second)
    assert withdrawn.status == 409
    assert withdrawn.json()["code"] == "LISTING_UNAVAILABLE"
    assert _intents_of(other["listing_id"]) == []


def test_a_purchase_needs_an_idempotency_key_and_a_known_listing(shop: Shop):
    _, listing = _listed(shop)
    _, token = shop.buyer()
    keyless = shop.api.post(f"/listings/{listing['listing_id']}/purchase", token=token)
    assert keyless.status == 400
    assert keyless.json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    unknown = _purchase(shop, "lst_01JDQ3Z8K4M2N6P8R0T2V4X6Z5", token)
    assert unknown.status == 404
    malformed = _purchase(shop, "not-a-listing", token)
    assert malformed.status in (400, 422), malformed.body
    anonymous = shop.api.post(
        f"/listings/{listing['listing_id']}/purchase", headers={"Idempotency-Key": "k-12345678"}
    )
    assert anonymous.status == 401


def test_of_buyers_racing_for_one_listing_exactly_one_reserves_it_and_no_other_can_pay(
    shop: Shop,
):
    _, listing = _listed(shop)
    tokens = [shop.buyer()[1] for _ in range(4)]
    barrier = threading.Barrier(len(tokens))
    answers: list[ApiResponse] = []

    def attempt(token: str) -> None:
        barrier.wait()
        answers.append(_purchase(shop, listing["listing_id"], token))

    threads = [threading.Thread(target=attempt, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(answer.status for answer in answers)
    assert statuses.count(201) == 1, [answer.body for answer in answers]
    for answer in answers:
        if answer.status != 201:
            assert answer.status in (409, 503), answer.body
    [won] = [answer.json() for answer in answers if answer.status == 201]
    intents = _intents_of(listing["listing_id"])
    payable = [pi.id for pi in intents if pi.status != "canceled"]
    assert payable == [won["payment"]["payment_intent_id"]]


def _told(aws: AwsStack, event_type: str, payment_intent_id: str, *, times: int = 1) -> None:
    """Stripe's webhook about the PaymentIntent as it is now, delivered ``times`` times,
    and the payment worker run on it."""
    body = stripe_event(
        event_type, intent_payload(payment_intent_id), f"evt_{new_id(Prefix.EVENT)}"
    )
    deliver_all(aws, [body], times=times)
    drain(aws)


def test_an_authorized_purchase_moves_the_ticket_to_the_buyer_and_voids_the_sellers_qr(
    api: Api, aws: AwsStack
):
    shop = tonight_shop(api, aws)  # GA at 2500
    crew = gate_crew(shop)
    seller, listing = _listed(shop, price=3750)
    sold = seller.tickets[0]
    _, token = shop.buyer()
    purchase = _purchase(shop, listing["listing_id"], token).json()
    intent_id = purchase["payment"]["payment_intent_id"]

    assert pay(intent_id).status == "requires_capture"
    _told(aws, "payment_intent.amount_capturable_updated", intent_id, times=2)

    mine = shop.api.get(f"/tickets/{sold['id']}", token=token)
    assert mine.status == 200, mine.body
    ticket = mine.json()
    assert ticket["version"] == 2
    assert ticket["qr_token"]
    assert shop.api.get(f"/tickets/{sold['id']}", token=seller.token).status == 404
    assert crew.scan(sold["qr_token"]).json()["result"] == "void"
    assert crew.scan(ticket["qr_token"]).json()["result"] == "admitted"
    assert shop.api.get(f"/listings/{listing['listing_id']}").json()["status"] == "sold"
    # Authorized, not charged: capture waits for the release.
    held = stripe_client().v1.payment_intents.retrieve(intent_id)
    assert (held.status, held.amount_capturable, held.amount_received) == (
        "requires_capture",
        3750,
        0,
    )


def test_a_cancelled_payment_intent_puts_the_listing_back_on_sale(shop: Shop):
    _, listing = _listed(shop)
    _, token = shop.buyer()
    intent_id = _purchase(shop, listing["listing_id"], token).json()["payment"]["payment_intent_id"]

    stripe_client().v1.payment_intents.cancel(intent_id)
    _told(shop.aws, "payment_intent.canceled", intent_id)

    assert shop.api.get(f"/listings/{listing['listing_id']}").json()["status"] == "active"
    _, another = shop.buyer()
    assert _purchase(shop, listing["listing_id"], another).status == 201


def _funded_record(escrow_id: str) -> dict[str, Any]:
    """The release queue's message about ``escrow_id`` (the sample event's, re-aimed)."""
    event = sample_event("resale.release_escrows", "unknown_escrow")
    body = json.loads(event["Records"][0]["body"])
    body["detail"]["data"]["escrow_id"] = escrow_id
    event["Records"][0]["body"] = json.dumps(body)
    return event


def test_a_funded_escrow_is_released_after_the_cooling_period_with_the_split_booked(
    shop: Shop,
):
    seller, listing = _listed(shop, price=15000)
    _, token = shop.buyer()
    purchase = _purchase(shop, listing["listing_id"], token).json()
    escrow_id, intent_id = purchase["escrow_id"], purchase["payment"]["payment_intent_id"]
    pay(intent_id)
    _told(shop.aws, "payment_intent.amount_capturable_updated", intent_id)

    # Delivered before its cooling period passed (the template's 600 s): the whole batch
    # failed, so SQS delivers it again later.
    with pytest.raises(BatchProcessingError):
        shop.aws.invoke("ReleaseEscrowsFunction", _funded_record(escrow_id))
    assert stripe_client().v1.payment_intents.retrieve(intent_id).status == "requires_capture"

    def sale() -> dict[str, Any]:
        (mine,) = shop.api.get("/me/listings", token=seller.token).json()["listings"]
        assert mine["status"] == "sold"
        return mine["sale"]

    assert (sale()["status"], sale()["proceeds_cents"], sale()["released_at"]) == (
        "funded",
        12750,
        None,
    )

    shop.aws.use_function("ReleaseEscrowsFunction")
    venue_id = shop.api.get(f"/events/{shop.event_id}").json()["venue_id"]
    books = ports().store.ledger

    def shown(account: ledger.Account) -> int:
        return account.shown(books.balance(account))

    venue, platform = ledger.pending(venue_id, shop.event_id, "USD"), ledger.revenue("USD")
    before = (shown(venue), shown(platform))
    later = datetime.now(UTC) + timedelta(minutes=11)
    cooling = timedelta(minutes=10)
    assert release_escrow(ports(), escrow_id, cooling=cooling, now=later) is Release.RELEASED
    assert release_escrow(ports(), escrow_id, cooling=cooling, now=later) is Release.UNCHANGED

    captured = stripe_client().v1.payment_intents.retrieve(intent_id)
    assert (captured.status, captured.amount_received) == ("succeeded", 15000)
    assert (shown(venue) - before[0], shown(platform) - before[1]) == (1500, 750)
    assert shown(ledger.seller_pending(seller.user_id, shop.event_id, "USD")) == 12750
    assert ledger_check().differences == []
    assert (sale()["status"], sale()["amount_cents"], sale()["proceeds_cents"]) == (
        "released",
        15000,
        12750,
    )


def test_sample_events(aws: AwsStack):
    response = aws.invoke_sample("PurchaseListingFunction", "unknown")
    assert response["statusCode"] == 404, response["body"]
    released = aws.invoke_sample("ReleaseEscrowsFunction", "unknown_escrow")
    assert released["batchItemFailures"] == []


def test_a_buyer_at_the_events_per_buyer_limit_cannot_buy_a_resale(shop: Shop):
    holder = buy(shop, 4)  # the RULES §11 limit, and a cooldown after paying
    _, listing = _listed(shop)

    refused = _purchase(shop, listing["listing_id"], holder.token)

    assert refused.status == 422, refused.body
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "PURCHASE_LIMIT_EXCEEDED"
    assert {e["code"] for e in refused.json()["errors"]} <= {"PER_BUYER_LIMIT", "PURCHASE_COOLDOWN"}
    assert _intents_of(listing["listing_id"]) == []
    assert shop.api.get(f"/listings/{listing['listing_id']}").json()["status"] == "active"
