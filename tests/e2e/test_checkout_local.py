"""Checkout over the local stack, where each concurrent invocation runs in its own
execution environment (process), as in Lambda: concurrent buyers never oversell, and
20 identical requests at once (one Idempotency-Key) make one order."""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.accounts import DEV_PASSWORD, bearer, logged_in, registered
from tests.e2e.clients import client_from
from tests.e2e.conftest import StartStack

pytestmark = pytest.mark.e2e


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def on_sale(stack: LocalStack, *, capacity: int, shards: int) -> tuple[str, str, dict[str, str]]:
    """(event id, ticket type id, organizer auth) of an event on sale now."""
    organizer = client_from("127.0.6.1")
    auth = bearer(logged_in(stack, organizer, "organizer@admitone.local", DEV_PASSWORD))
    now = datetime.now(UTC).replace(microsecond=0)

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = organizer.post(f"{stack.api_url}{path}", json=body, headers=auth, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    venue = post(
        "/venues",
        {
            "name": "Hall",
            "timezone": "America/Chicago",
            "address": {
                "line1": "1 Main St",
                "city": "Franklin",
                "state": "TN",
                "postal_code": "37064",
                "country": "US",
            },
        },
    )
    event = post(
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Checkout night",
            "category": "music",
            "starts_at": iso(now + timedelta(days=5)),
            "ends_at": iso(now + timedelta(days=5, hours=3)),
            "sales_start": iso(now - timedelta(hours=1)),
            "sales_end": iso(now + timedelta(days=5)),
        },
    )
    ticket_type = post(
        f"/events/{event['id']}/ticket-types",
        {"name": "GA", "price_cents": 4000, "capacity": capacity, "shards": shards},
    )
    post(f"/events/{event['id']}/publish", {})
    return event["id"], ticket_type["id"], auth


def order_body(event_id: str, ticket_type_id: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "items": [{"ticket_type_id": ticket_type_id, "quantity": quantity}],
    }


def held_and_sold(stack: LocalStack, event_id: str, auth: dict[str, str]) -> tuple[int, int, int]:
    stats = requests.get(f"{stack.api_url}/events/{event_id}/stats", headers=auth, timeout=10)
    (ticket_type,) = stats.json()["ticket_types"]
    return ticket_type["available"], ticket_type["held"], ticket_type["sold"]


def test_twenty_identical_requests_at_once_make_one_order(stack: LocalStack):
    event_id, ticket_type_id, organizer = on_sale(stack, capacity=10, shards=2)
    buyer = bearer(registered(stack, client_from("127.0.6.2"), f"{uuid.uuid4().hex}@example.com"))
    headers = {**buyer, "Idempotency-Key": f"burst-{uuid.uuid4().hex}"}
    body = order_body(event_id, ticket_type_id, 2)
    start = threading.Barrier(20)

    def send(n: int) -> requests.Response:
        client = client_from(f"127.0.7.{n + 1}")
        start.wait()
        return client.post(f"{stack.api_url}/orders", json=body, headers=headers, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["order_id"] for r in created}) == 1
    assert len({r.content for r in created}) == 1  # replays are byte for byte the first
    for busy in (r for r in responses if r.status_code == 409):
        assert busy.json()["code"] == "DUPLICATE_IN_PROGRESS"
    assert held_and_sold(stack, event_id, organizer) == (8, 2, 0)
    mine = requests.get(f"{stack.api_url}/me/orders", headers=buyer, timeout=10).json()
    assert [o["order_id"] for o in mine["orders"]] == [created[0].json()["order_id"]]


def test_concurrent_buyers_through_the_api_never_oversell(stack: LocalStack):
    event_id, ticket_type_id, organizer = on_sale(stack, capacity=6, shards=3)
    buyers = [
        bearer(
            registered(stack, client_from(f"127.0.8.{n + 1}"), f"{uuid.uuid4().hex}@example.com")
        )
        for n in range(16)
    ]
    start = threading.Barrier(len(buyers))

    def buy(n: int) -> int:
        client = client_from(f"127.0.9.{n + 1}")
        headers = {**buyers[n], "Idempotency-Key": f"race-{uuid.uuid4().hex}"}
        start.wait()
        response = client.post(
            f"{stack.api_url}/orders",
            json=order_body(event_id, ticket_type_id),
            headers=headers,
            timeout=30,
        )
        return response.status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(buyers)) as pool:
        statuses = list(pool.map(buy, range(len(buyers))))

    assert sorted(statuses) == [201] * 6 + [409] * 10
    assert held_and_sold(stack, event_id, organizer) == (0, 6, 0)
