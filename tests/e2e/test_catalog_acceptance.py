"""Issue 5's acceptance over the local stack: an organizer puts an event on sale; the
public finds it and sees its availability; nobody else can change it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.accounts import DEV_PASSWORD, bearer, logged_in, registered
from tests.e2e.clients import client_from
from tests.e2e.conftest import StartStack

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_an_event_goes_on_sale_and_is_found_by_the_public(stack):
    api = stack.api_url
    organizer = client_from("127.0.5.1")
    auth = bearer(logged_in(stack, organizer, "organizer@admitone.local", DEV_PASSWORD))
    city = f"Testville {uuid.uuid4().hex[:6]}"

    def post(path: str, body: dict) -> dict:
        response = organizer.post(f"{api}{path}", json=body, headers=auth, timeout=10)
        assert response.status_code in (200, 201), response.text
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
                "postal_code": "37064",
                "country": "US",
            },
        },
    )
    event = post(
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Spring Gala",
            "description": "An evening out",
            "category": "music",
            "starts_at": iso(NOW + timedelta(days=20)),
            "ends_at": iso(NOW + timedelta(days=20, hours=4)),
            "sales_start": iso(NOW - timedelta(hours=1)),
            "sales_end": iso(NOW + timedelta(days=20)),
        },
    )
    draft_id = post(
        "/events",
        {
            **{
                k: v
                for k, v in event.items()
                if k
                in (
                    "venue_id",
                    "title",
                    "description",
                    "category",
                    "starts_at",
                    "ends_at",
                    "sales_start",
                    "sales_end",
                )
            },
            "title": "Still a draft",
        },
    )["id"]
    pool = post(f"/events/{event['id']}/capacity-pools", {"name": "Seats", "capacity": 300})
    for name, price in (("Adult", 4000), ("Child", 2000)):
        post(
            f"/events/{event['id']}/ticket-types",
            {
                "name": name,
                "price_cents": price,
                "capacity": 300,
                "pool_id": pool["id"],
                "shards": 4,
            },
        )
    post(f"/events/{event['id']}/publish", {})

    public = client_from("127.0.5.2")
    found = public.get(f"{api}/events", params={"city": city.upper()}, timeout=10).json()
    assert [e["id"] for e in found["events"]] == [event["id"]]
    detail = public.get(f"{api}/events/{event['id']}", timeout=10)
    assert detail.status_code == 200
    types = {t["name"]: t for t in detail.json()["ticket_types"]}
    assert {name: t["available"] for name, t in types.items()} == {"Adult": 300, "Child": 300}
    assert public.get(f"{api}/events/{draft_id}", timeout=10).status_code == 404

    buyer_client = client_from("127.0.5.3")
    buyer = bearer(registered(stack, buyer_client, f"buyer.{uuid.uuid4().hex[:6]}@example.com"))
    hijack = buyer_client.patch(
        f"{api}/events/{event['id']}", json={"title": "Mine"}, headers=buyer, timeout=10
    )
    assert hijack.status_code == 404
    assert hijack.headers["content-type"] == "application/problem+json"
