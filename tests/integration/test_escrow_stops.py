"""Open resale escrows stop at once (issue 19) on moto and the local Stripe: when the
event is cancelled or the ticket voided, EndListingsFunction cancels the PaymentIntent of
every reserved or funded escrow of it (the authorization released, nothing charged),
cancels the escrow and ends its listing, exactly once however often it is told; the
release job then finds nothing to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters.stripe_api import stripe_client
from admitone.domain import ledger
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.wiring import ports
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, open_shop, pay
from tests.integration.test_cancellation_refunds import cancel
from tests.integration.test_listing_ends import CONSUMER, deliver, end_listings
from tests.integration.test_resale_purchase import FACE, _listed, _purchase, _told

COOLING = timedelta(minutes=10)


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def _bought(shop: Shop, *, paid: bool) -> dict[str, Any]:
    """A listing bought into escrow: reserved (``paid`` False) or funded."""
    _, listing = _listed(shop, price=12000)
    _, token = shop.buyer()
    purchase = _purchase(shop, listing["listing_id"], token)
    assert purchase.status == 201, purchase.body
    bought = dict(purchase.json())
    if paid:
        intent_id = bought["payment"]["payment_intent_id"]
        assert pay(intent_id).status == "requires_capture"
        _told(shop.aws, "payment_intent.amount_capturable_updated", intent_id)
    return bought


def _state(shop: Shop, bought: dict[str, Any]) -> tuple[str, str, str, str | None]:
    """The escrow, its PaymentIntent at the local Stripe and its listing, as they stand."""
    shop.aws.use_function(CONSUMER)
    escrow = ports().store.escrows.get(bought["escrow_id"])
    assert escrow is not None
    intent = stripe_client().v1.payment_intents.retrieve(bought["payment"]["payment_intent_id"])
    listing = shop.api.get(f"/listings/{escrow.listing_id}").json()
    return escrow.status.value, intent.status, listing["status"], listing.get("end_reason")


def test_a_cancelled_events_open_escrows_are_let_go_at_once_and_exactly_once(shop: Shop):
    reserved, funded = _bought(shop, paid=False), _bought(shop, paid=True)
    assert _state(shop, funded)[:3] == ("funded", "requires_capture", "sold")

    cancel(shop)
    assert end_listings(shop.aws) >= 1

    stopped = ("cancelled", "canceled", "ended", "event_cancelled")
    assert _state(shop, reserved) == stopped
    assert _state(shop, funded) == stopped
    held = stripe_client().v1.payment_intents.retrieve(funded["payment"]["payment_intent_id"])
    assert (held.amount_received, held.amount_capturable) == (0, 0)
    # Told again (at-least-once delivery): nothing moves, nothing fails.
    again = {
        "event_id": shop.event_id,
        "venue_id": "ven_1",
        "reason": "again",
        "cancelled_by": "usr_1",
        "previous_status": "published",
    }
    assert deliver(shop.aws, "event.cancelled", again) == {"batchItemFailures": []}
    assert _state(shop, reserved) == stopped
    assert _state(shop, funded) == stopped
    later = datetime.now(UTC) + COOLING + timedelta(minutes=1)
    outcome = release_escrow(ports(), funded["escrow_id"], cooling=COOLING, now=later)
    assert outcome is Release.UNCHANGED


def test_a_voided_tickets_funded_escrow_is_let_go_and_the_others_are_not(shop: Shop):
    voided, kept = _bought(shop, paid=True), _bought(shop, paid=True)
    shop.aws.use_function(CONSUMER)
    escrow = ports().store.escrows.get(voided["escrow_id"])
    assert escrow is not None
    charged_back = {
        "order_id": "ord_01JDQ3Z8K4M2N6P8R0T2V4X6Z5",
        "event_id": shop.event_id,
        "dispute_id": "dp_lost",
        "amount": 10000,
        "currency": "USD",
        "void_ticket_ids": [escrow.ticket_id],
    }

    for _ in range(2):
        assert deliver(shop.aws, "order.charged_back", charged_back) == {"batchItemFailures": []}

    assert _state(shop, voided) == ("cancelled", "canceled", "ended", "ticket_voided")
    assert _state(shop, kept) == ("funded", "requires_capture", "sold", None)


def test_a_cancelled_events_released_resale_is_refunded_to_its_buyer_and_reversed(shop: Shop):
    funded = _bought(shop, paid=True)
    escrow_id, intent_id = funded["escrow_id"], funded["payment"]["payment_intent_id"]
    shop.aws.use_function(CONSUMER)
    later = datetime.now(UTC) + COOLING + timedelta(minutes=1)
    assert release_escrow(ports(), escrow_id, cooling=COOLING, now=later) is Release.RELEASED
    escrow = ports().store.escrows.get(escrow_id)
    assert escrow is not None
    books = ports().store.ledger
    seller = ledger.seller_pending(escrow.seller_id, shop.event_id, "USD")
    assert seller.shown(books.balance(seller)) == 10200  # 12000 less 1200 and 600
    venue_id = shop.api.get(f"/events/{shop.event_id}").json()["venue_id"]
    venue = ledger.pending(venue_id, shop.event_id, "USD")
    before_venue = venue.shown(books.balance(venue))

    cancel(shop)
    end_listings(shop.aws)
    again = {
        "event_id": shop.event_id,
        "venue_id": "ven_1",
        "reason": "again",
        "cancelled_by": "usr_1",
        "previous_status": "published",
    }
    assert deliver(shop.aws, "event.cancelled", again) == {"batchItemFailures": []}

    shop.aws.use_function(CONSUMER)
    reversed_escrow = ports().store.escrows.get(escrow_id)
    assert reversed_escrow is not None
    assert reversed_escrow.status.value == "refunded"
    refunds = stripe_client().v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [(one.amount, one.status) for one in refunds] == [(12000, "succeeded")]
    assert seller.shown(books.balance(seller)) == 0
    assert venue.shown(books.balance(venue)) == before_venue - 1200
    assert ledger_check().differences == []
