"""A shop to buy from, through the template's API: an organizer's published event, buyers,
orders, and paying a PaymentIntent the way a browser does (modify, then confirm)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stripe import CardError

from admitone.adapters.dynamo import inventory as inventory_store
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, ApiResponse, AwsStack

VISA = "4242424242424242"
DECLINED = "4000000000000341"  # attaches, then the charge is declined


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Shop:
    """One published event with the ticket types asked for (name -> id)."""

    api: Api
    aws: AwsStack
    event_id: str
    types: dict[str, str]
    organizer_token: str
    _buyers: itertools.count = field(default_factory=itertools.count)

    def buyer(self) -> tuple[str, str]:
        """A new buyer: (user id, access token)."""
        user_id = new_id(Prefix.USER)
        return user_id, self.aws.access_token(user_id, "buyer", email=f"{user_id}@example.com")

    def order(
        self,
        token: str,
        items: dict[str, int],
        *,
        key: str | None = None,
        voucher_code: str | None = None,
        ip: str | None = None,
    ) -> ApiResponse:
        body: dict[str, Any] = {
            "event_id": self.event_id,
            "items": [
                {"ticket_type_id": self.types[name], "quantity": quantity}
                for name, quantity in items.items()
            ],
        }
        if voucher_code:
            body["voucher_code"] = voucher_code
        return self.api.post(
            "/orders",
            body,
            token=token,
            ip=ip,
            headers={"Idempotency-Key": key or f"test-{uuid.uuid4()}"},
        )

    def placed(self, quantity: int = 2, name: str = "ga") -> dict[str, Any]:
        """A new buyer's order of ``quantity`` tickets of ``name``, awaiting payment."""
        _, token = self.buyer()
        response = self.order(token, {name: quantity})
        assert response.status == 201, response.body
        return dict(response.json())

    def seats(self, name: str = "ga") -> tuple[int, int, int]:
        """(available, held, sold) of a ticket type, summed over its shards."""
        totals = inventory_store.inventory_of_owner(self.event_id, self.types[name]).totals
        return totals.available, totals.held, totals.sold

    def stats(self) -> dict[str, Any]:
        response = self.api.get(f"/events/{self.event_id}/stats", token=self.organizer_token)
        assert response.status == 200, response.body
        return response.json()


def open_shop(
    api: Api,
    aws: AwsStack,
    *,
    types: dict[str, dict[str, Any]] | None = None,
    hold_minutes: int = 15,
    city: str = "Nashville",
    event: dict[str, Any] | None = None,
) -> Shop:
    """A published event on sale now, in ``city`` (TN), starting in nine days unless
    ``event`` overrides its fields; ``types`` maps a name to the ticket type's fields
    (default: one GA type, $50, 100 seats)."""
    now = datetime.now(UTC).replace(microsecond=0)
    token = aws.access_token(new_id(Prefix.USER), "organizer")

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(path, body, token=token)
        assert response.status in (200, 201), response.body
        return response.json()

    venue = post(
        "/venues",
        {
            "name": "Hall",
            "timezone": "America/Chicago",
            "address": {
                "line1": "1 Main St",
                "city": city,
                "state": "TN",
                "postal_code": "37000",
                "country": "US",
            },
        },
    )
    created_event = post(
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Show",
            "category": "music",
            "hold_minutes": hold_minutes,
            "starts_at": iso(now + timedelta(days=9)),
            "ends_at": iso(now + timedelta(days=9, hours=2)),
            "sales_start": iso(now - timedelta(days=1)),
            "sales_end": iso(now + timedelta(days=9)),
            **(event or {}),
        },
    )
    created = {}
    for name, fields in (types or {"ga": {"price_cents": 5000, "capacity": 100}}).items():
        created[name] = post(
            f"/events/{created_event['id']}/ticket-types", {"name": name.upper(), **fields}
        )["id"]
    post(f"/events/{created_event['id']}/publish", {})
    return Shop(api, aws, created_event["id"], created, token)


def pay(payment_intent_id: str, card: str = VISA) -> Any:
    """Pay as Stripe.js would: attach a card, then confirm (localstripe has no
    confirm(payment_method=...))."""
    stripe = stripe_client()
    method = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }  # type: ignore[typeddict-item]
    )
    stripe.v1.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    try:
        return stripe.v1.payment_intents.confirm(payment_intent_id)
    except CardError:  # declined: the PaymentIntent says so, as Stripe.js would show
        return stripe.v1.payment_intents.retrieve(payment_intent_id)
