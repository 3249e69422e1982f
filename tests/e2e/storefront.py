"""An event on sale and a buyer who pays, on a running local stack, through the API and
the real Stripe SDK: the opening every money story of the e2e tier shares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from stripe import StripeClient

from scripts import demo_story
from scripts.demo_story import PASSWORD, Api, verification_token
from scripts.devstack.stack import LocalStack


@dataclass(frozen=True)
class OnSale:
    venue_id: str
    event_id: str
    ticket_type_id: str

    def cart(self, quantity: int) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "items": [{"ticket_type_id": self.ticket_type_id, "quantity": quantity}],
        }


def event_on_sale(
    organizer: Api, *, venue: str, title: str, price_cents: int, nft_enabled: bool = False
) -> OnSale:
    """A Nashville venue's event five days out, on sale now: 50 seats at one price (NFT
    tickets with ``nft_enabled``)."""
    now = datetime.now(UTC).replace(microsecond=0)
    created = organizer.call(
        "POST",
        "/venues",
        {
            "name": venue,
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
            "venue_id": created["id"],
            "title": title,
            "category": "music",
            "starts_at": demo_story.iso(now + timedelta(days=5)),
            "ends_at": demo_story.iso(now + timedelta(days=5, hours=3)),
            "sales_start": demo_story.iso(now - timedelta(minutes=1)),
            "sales_end": demo_story.iso(now + timedelta(days=5)),
            "nft_enabled": nft_enabled,
        },
    )
    ticket_type = organizer.call(
        "POST",
        f"/events/{event['id']}/ticket-types",
        {"name": "GA", "price_cents": price_cents, "capacity": 50},
    )
    organizer.call("POST", f"/events/{event['id']}/publish", {})
    return OnSale(created["id"], event["id"], ticket_type["id"])


def verified_buyer(stack: LocalStack, *, name: str, session: requests.Session | None = None) -> Api:
    """A new account, registered, verified through its mailed token and signed in (calling
    through ``session``, e.g. from an address of its own, when given)."""
    buyer = Api(stack.api_url, session)
    address = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    buyer.call("POST", "/auth/register", {"email": address, "password": PASSWORD, "name": name})
    buyer.call("POST", "/auth/verify-email", {"token": verification_token(stack.moto_url, address)})
    buyer.login(address, PASSWORD)
    return buyer


def place_order(buyer: Api, cart: dict[str, Any]) -> dict[str, Any]:
    return buyer.call("POST", "/orders", cart, **{"Idempotency-Key": f"e2e-{uuid.uuid4()}"})


def pay_with_card(stack: LocalStack, order: dict[str, Any], number: str) -> StripeClient:
    """Pay the order's PaymentIntent with a test card, as Stripe.js would; the webhook
    then does the rest. Returns the Stripe client for what the test reads back."""
    stripe = StripeClient("sk_test_e2e", base_addresses={"api": stack.stripe_url})
    card = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }  # type: ignore[typeddict-item]
    )
    intent_id = order["payment"]["payment_intent_id"]
    stripe.v1.payment_intents.update(intent_id, params={"payment_method": card.id})
    stripe.v1.payment_intents.confirm(intent_id)
    return stripe
