"""Issue 9, black-box on a local stack as `scripts/run` starts it: a buyer pays for 3
tickets with a test card (Stripe's webhook issues them), refunds one; that ticket turns
void, the refund is exactly its share of price and tax, the venue's ledger shows the
reversal, and `scripts/ledger-check` finds 0 differences."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from stripe import StripeClient

from admitone.domain.money import allocate
from scripts import demo_story
from scripts.demo_story import CARD, ORGANIZER, PASSWORD, Api, verification_token, wait_until_paid
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack
from tests.e2e.ledger import assert_ledger_check_passes

pytestmark = pytest.mark.e2e

PRICE = 5000


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_a_buyer_refunds_one_of_three_tickets_and_the_ledger_still_balances(stack: LocalStack):
    now = datetime.now(UTC).replace(microsecond=0)
    organizer = Api(stack.api_url)
    organizer.login(*ORGANIZER)
    venue = organizer.call(
        "POST",
        "/venues",
        {
            "name": "Ryman",
            "timezone": "America/Chicago",
            "address": {
                "line1": "116 5th Ave N",
                "city": "Nashville",
                "state": "TN",
                "postal_code": "37219",
                "country": "US",
            },
        },
    )
    event = organizer.call(
        "POST",
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Refund night",
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
        {"name": "GA", "price_cents": PRICE, "capacity": 50},
    )
    organizer.call("POST", f"/events/{event['id']}/publish", {})

    buyer = Api(stack.api_url)
    address = f"refunder-{uuid.uuid4().hex[:8]}@example.com"
    buyer.call("POST", "/auth/register", {"email": address, "password": PASSWORD, "name": "Ada"})
    buyer.call("POST", "/auth/verify-email", {"token": verification_token(stack.moto_url, address)})
    buyer.login(address, PASSWORD)
    cart = {
        "event_id": event["id"],
        "items": [{"ticket_type_id": ticket_type["id"], "quantity": 3}],
    }
    order = buyer.call("POST", "/orders", cart, **{"Idempotency-Key": f"e2e-{uuid.uuid4()}"})
    stripe = StripeClient("sk_test_e2e", base_addresses={"api": stack.stripe_url})
    card = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }  # type: ignore[typeddict-item]
    )
    intent_id = order["payment"]["payment_intent_id"]
    stripe.v1.payment_intents.update(intent_id, params={"payment_method": card.id})
    stripe.v1.payment_intents.confirm(intent_id)
    paid, _ = wait_until_paid(buyer, order["order_id"])
    first, *others = paid["tickets"]

    refund = buyer.call(
        "POST",
        f"/orders/{order['order_id']}/refunds",
        {"ticket_ids": [first["id"]]},
        **{"Idempotency-Key": f"e2e-refund-{uuid.uuid4()}"},
    )

    share = PRICE + sum(
        allocate(tax["amount_cents"], [PRICE] * 3)[0] for tax in paid["totals"]["taxes"]
    )
    assert refund["amount_cents"] == share
    after = buyer.call("GET", f"/orders/{order['order_id']}")
    assert after["status"] == "partially_refunded"
    assert [t["status"] for t in after["tickets"]] == ["void", "valid", "valid"]
    assert [t["id"] for t in after["tickets"][1:]] == [t["id"] for t in others]
    refunds = stripe.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.amount for r in refunds.data] == [share]

    ledger = organizer.call("GET", f"/venues/{venue['id']}/ledger")["transactions"]
    reversal = next(t for t in ledger if t["kind"] == "refund")
    assert reversal["refs"]["order_id"] == order["order_id"]
    venue_lines = [
        e["amount_cents"] for e in reversal["entries"] if e["account"].startswith("venue_pending:")
    ]
    assert venue_lines == [PRICE]  # the ticket's price taken back from the venue's proceeds
    assert sum(e["amount_cents"] for e in reversal["entries"]) == 0

    assert_ledger_check_passes(stack)
