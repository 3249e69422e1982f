"""Issue 35, black-box on a local stack as `scripts/run` starts it: a buyer pays with
Stripe's dispute test card; the local Stripe server disputes the charge and its signed
webhook reaches the app, which freezes the amount and flags the order; the dispute is
lost through the SDK (losing evidence), the app books it, and `scripts/ledger-check`
finds 0 differences. Amounts are left to the dispute rules' own tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stripe import StripeClient

from scripts import demo_story
from scripts.demo_story import ORGANIZER, PASSWORD, Api, verification_token, wait_until_paid
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack
from tests.e2e.ledger import assert_ledger_check_passes
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e

DISPUTE_CARD = "4000000000000259"


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def on_sale(organizer: Api) -> tuple[str, str, str]:
    """(venue id, event id, ticket type id) of an event on sale now."""
    now = datetime.now(UTC).replace(microsecond=0)
    venue = organizer.call(
        "POST",
        "/venues",
        {
            "name": "Exit/In",
            "timezone": "America/Chicago",
            "address": {
                "line1": "2208 Elliston Pl",
                "city": "Nashville",
                "state": "TN",
                "postal_code": "37203",
                "country": "US",
            },
        },
    )
    event = organizer.call(
        "POST",
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Chargeback night",
            "category": "music",
            "starts_at": demo_story.iso(now + timedelta(days=5)),
            "ends_at": demo_story.iso(now + timedelta(days=5, hours=3)),
            "sales_start": demo_story.iso(now - timedelta(minutes=1)),
            "sales_end": demo_story.iso(now + timedelta(days=5)),
        },
    )
    ticket_type = organizer.call(
        "POST",
        f"/events/{event['id']}/ticket-types",
        {"name": "GA", "price_cents": 4500, "capacity": 50},
    )
    organizer.call("POST", f"/events/{event['id']}/publish", {})
    return venue["id"], event["id"], ticket_type["id"]


def test_a_lost_dispute_reaches_the_venues_books_and_the_ledger_still_balances(
    stack: LocalStack,
):
    organizer = Api(stack.api_url)
    organizer.login(*ORGANIZER)
    venue_id, event_id, ticket_type_id = on_sale(organizer)
    buyer = Api(stack.api_url)
    address = f"disputer-{uuid.uuid4().hex[:8]}@example.com"
    buyer.call("POST", "/auth/register", {"email": address, "password": PASSWORD, "name": "Bo"})
    buyer.call("POST", "/auth/verify-email", {"token": verification_token(stack.moto_url, address)})
    buyer.login(address, PASSWORD)
    order = buyer.call(
        "POST",
        "/orders",
        {"event_id": event_id, "items": [{"ticket_type_id": ticket_type_id, "quantity": 2}]},
        **{"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    )
    order_id = order["order_id"]

    stripe = StripeClient("sk_test_e2e", base_addresses={"api": stack.stripe_url})
    card = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": DISPUTE_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }  # type: ignore[typeddict-item]
    )
    intent_id = order["payment"]["payment_intent_id"]
    stripe.v1.payment_intents.update(intent_id, params={"payment_method": card.id})
    stripe.v1.payment_intents.confirm(intent_id)
    wait_until_paid(buyer, order_id)
    [dispute] = stripe.v1.disputes.list(params={"payment_intent": intent_id}).data

    def dispute_books(*, closed: bool) -> list[dict[str, Any]]:
        ledger = organizer.call("GET", f"/venues/{venue_id}/ledger")["transactions"]
        booked = [t for t in ledger if t["refs"].get("dispute_id") == dispute.id]
        closes = [t for t in booked if t["kind"] != "dispute_opened"]
        return booked if booked and (bool(closes) == closed) else []

    wait_for(
        lambda: buyer.call("GET", f"/orders/{order_id}")["disputed"],
        what="charge.dispute.created to flag the order",
    )
    [opened] = dispute_books(closed=False)
    assert (opened["kind"], opened["refs"]["order_id"]) == ("dispute_opened", order_id)
    assert organizer.call("GET", f"/venues/{venue_id}/balance")["reserved_cents"] > 0

    lost = stripe.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    assert lost.status == "lost"
    wait_for(lambda: dispute_books(closed=True), what="charge.dispute.closed to be booked")

    assert_ledger_check_passes(stack)
