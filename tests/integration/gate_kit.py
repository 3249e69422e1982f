"""Tickets to scan: an event on tonight, paid orders whose tickets were issued by the
payment worker, and a venue with a supervisor, a scanner and paired gate devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from admitone.adapters.dynamo import orders as order_store
from admitone.domain.accounts import Principal
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from tests.integration.conftest import Api, AwsStack
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import Shop, iso, open_shop, pay

MAX_PER_BUYER = 4  # RULES §11, while the event is not nearly sold out


def tonight_shop(api: Api, aws: AwsStack, *, max_scans: int = 1, capacity: int = 200) -> Shop:
    """An event on sale that opened its gates an hour ago (it starts in five hours)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return open_shop(
        api,
        aws,
        types={"ga": {"price_cents": 2500, "capacity": capacity, "max_scans": max_scans}},
        event={
            "starts_at": iso(now + timedelta(hours=5)),
            "ends_at": iso(now + timedelta(hours=9)),
            "sales_end": iso(now + timedelta(hours=5)),
            "registration_deadline": iso(now + timedelta(hours=4)),
        },
    )


@dataclass
class Holder:
    user_id: str
    token: str
    order_id: str
    tickets: list[dict[str, Any]]

    @property
    def principal(self) -> Principal:
        return Principal(
            user_id=self.user_id, roles=frozenset({Role.BUYER}), email=f"{self.user_id}@example.com"
        )


def buy(shop: Shop, quantity: int) -> Holder:
    """A new buyer's paid order of ``quantity`` GA tickets, issued through the webhook
    route and the payment worker."""
    user_id, token = shop.buyer()
    placed = shop.order(token, {"ga": quantity})
    assert placed.status == 201, placed.body
    order = placed.json()
    intent = pay(order["payment"]["payment_intent_id"])
    assert intent.status == "succeeded"
    body = stripe_event(
        "payment_intent.succeeded", intent_payload(intent.id), f"evt_{new_id(Prefix.EVENT)}"
    )
    deliver_all(shop.aws, [body])
    drain(shop.aws)
    fetched = shop.api.get(f"/orders/{order['order_id']}", token=token)
    assert fetched.json()["status"] == "paid", fetched.body
    return Holder(user_id, token, order["order_id"], fetched.json()["tickets"])


def tickets(shop: Shop, count: int) -> list[dict[str, Any]]:
    """``count`` issued tickets, bought by as many buyers as the per-buyer limit needs."""
    bought: list[dict[str, Any]] = []
    while len(bought) < count:
        bought += buy(shop, min(MAX_PER_BUYER, count - len(bought))).tickets
    return bought


@dataclass
class Gates:
    """The venue's gate crew: its organizer, a scanner, and devices paired by the scanner."""

    shop: Shop
    venue_id: str
    scanner_id: str
    scanner_token: str
    devices: list[str] = field(default_factory=list)

    @property
    def scanner(self) -> Principal:
        return Principal(
            user_id=self.scanner_id,
            roles=frozenset({Role.BUYER}),
            email=f"{self.scanner_id}@example.com",
        )

    def pair(self, name: str = "Gate") -> str:
        code = self.shop.api.post(
            f"/venues/{self.venue_id}/devices", {}, token=self.shop.organizer_token
        )
        assert code.status == 201, code.body
        paired = self.shop.api.post(
            "/devices/pair", {"code": code.json()["code"], "name": name}, token=self.scanner_token
        )
        assert paired.status == 201, paired.body
        self.devices.append(paired.json()["device_token"])
        return str(paired.json()["device_token"])

    def scan(self, token: str, *, device: str | None = None, gate: str = "A") -> Any:
        return self.shop.api.post(
            f"/events/{self.shop.event_id}/scans",
            {"token": token, "gate": gate},
            token=self.scanner_token,
            headers={"X-Device-Token": device or self.devices[0]},
        )


def gate_crew(shop: Shop, *, devices: int = 1) -> Gates:
    venue_id = shop.api.get(f"/events/{shop.event_id}").json()["venue_id"]
    email = f"scanner-{new_id(Prefix.USER).lower()}@example.com"
    added = shop.api.post(
        f"/venues/{venue_id}/staff",
        {"email": email, "role": "scanner"},
        token=shop.organizer_token,
    )
    assert added.status == 201, added.body
    scanner_id = added.json()["user_id"]
    crew = Gates(
        shop, venue_id, scanner_id, shop.aws.access_token(scanner_id, "buyer", email=email)
    )
    for number in range(devices):
        crew.pair(f"Gate {number + 1}")
    return crew


def holder_of(order_id: str) -> str:
    order = order_store.get_order(order_id)
    assert order is not None
    return order.buyer_id
