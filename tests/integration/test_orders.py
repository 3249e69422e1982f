"""POST /orders, GET /orders/{id}, GET /me/orders, POST /orders/{id}/cancel: what a buyer
sees, what the inventory and Stripe record, and the refusals with their codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters import stripe_payments
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.errors import DependencyUnavailable
from admitone.http import rate_limiting
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, open_shop


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(
        api,
        aws,
        types={
            "ga": {"price_cents": 5000, "capacity": 10, "shards": 2},
            "vip": {"price_cents": 20000, "capacity": 2, "hidden": True},
        },
    )


def held(shop: Shop, name: str = "ga") -> tuple[int, int, int]:
    """(available, held, sold) of a ticket type, from the organizer's stats."""
    stats = {t["ticket_type_id"]: t for t in shop.stats()["ticket_types"]}[shop.types[name]]
    return stats["available"], stats["held"], stats["sold"]


def problem(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.body
    return response.json()


# ------------------------------------------------------------------- place
def test_an_order_holds_its_seats_and_opens_a_payment_intent_for_its_total(shop: Shop):
    _, token = shop.buyer()
    response = shop.order(token, {"ga": 2})
    assert response.status == 201, response.body
    order = response.json()
    assert order["status"] == "pending_payment"
    assert order["order_number"].startswith(f"A1-{datetime.now(UTC).year}-")
    totals = order["totals"]
    assert (totals["subtotal_cents"], totals["discount_cents"], totals["currency"]) == (
        10000,
        0,
        "USD",
    )
    assert totals["total_cents"] == (
        totals["subtotal_cents"]
        + totals["platform_fee_cents"]
        + totals["nft_fee_cents"]
        + sum(t["amount_cents"] for t in totals["taxes"])
    )
    hold_ends = datetime.fromisoformat(order["hold_expires_at"])
    assert timedelta(minutes=14) < hold_ends - datetime.now(UTC) <= timedelta(minutes=15)
    assert held(shop) == (8, 2, 0)

    intent = stripe_client().v1.payment_intents.retrieve(order["payment"]["payment_intent_id"])
    assert (intent.amount, intent.currency) == (totals["total_cents"], "usd")
    assert intent.metadata["order_id"] == order["order_id"]
    assert order["payment"]["client_secret"] == intent.client_secret


def test_the_buyer_reads_the_order_and_nobody_else_does(shop: Shop):
    _, token = shop.buyer()
    order = shop.order(token, {"ga": 1}).json()
    mine = shop.api.get(f"/orders/{order['order_id']}", token=token)
    assert mine.status == 200
    assert mine.json()["order_number"] == order["order_number"]
    assert mine.json()["payment"]["client_secret"] is None  # only in the answer to POST
    _, stranger = shop.buyer()
    assert shop.api.get(f"/orders/{order['order_id']}", token=stranger).status == 404
    as_organizer = shop.api.get(f"/orders/{order['order_id']}", token=shop.organizer_token)
    assert as_organizer.status == 200
    malformed = shop.api.get("/orders/not-an-order-id", token=token)
    assert malformed.status == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["path.order_id"]


def test_my_orders_come_newest_first_in_pages_bound_to_me(shop: Shop):
    _, token = shop.buyer()
    placed = [shop.order(token, {"ga": 1}).json()["order_id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = shop.api.get(f"/me/orders{query}", token=token)
        assert page.status == 200, page.body
        seen += [o["order_id"] for o in page.json()["orders"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == placed[::-1]

    first = shop.api.get("/me/orders?limit=1", token=token).json()
    _, stranger = shop.buyer()
    stolen = shop.api.get(f"/me/orders?limit=1&cursor={first['next_cursor']}", token=stranger)
    assert stolen.status == 400
    assert problem(stolen)["code"] == "CURSOR_INVALID"


# ----------------------------------------------------------------- refusals
def test_sold_out_is_a_409_naming_the_ticket_type_and_holds_nothing(shop: Shop):
    for _ in range(3):
        _, token = shop.buyer()
        assert shop.order(token, {"ga": 3}).status == 201
    _, late = shop.buyer()
    response = shop.order(late, {"ga": 2})
    assert response.status == 409
    body = problem(response)
    assert body["code"] == "SOLD_OUT"
    assert body["errors"] == [
        {"field": "ticket_type_id", "message": shop.types["ga"], "code": "SOLD_OUT"}
    ]
    assert held(shop) == (1, 9, 0)
    # The refused buyer's allowance was not spent: the last seat is still theirs to take.
    assert shop.order(late, {"ga": 1}).status == 201


def test_a_hidden_ticket_type_without_its_access_code_does_not_exist(shop: Shop):
    _, token = shop.buyer()
    response = shop.order(token, {"vip": 1})
    assert response.status == 422
    assert problem(response)["errors"][0]["field"] == "items[0].ticket_type_id"


def test_a_buyer_holds_at_most_four_tickets_of_an_event(shop: Shop):
    _, token = shop.buyer()
    assert shop.order(token, {"ga": 3}).status == 201
    response = shop.order(token, {"ga": 2})
    assert response.status == 422
    body = problem(response)
    assert body["code"] == "PURCHASE_LIMIT_EXCEEDED"
    assert body["errors"][0]["code"] == "PER_BUYER_LIMIT"
    assert held(shop) == (7, 3, 0)


def test_more_than_the_per_order_maximum_of_a_type_is_refused(shop: Shop):
    _, token = shop.buyer()
    response = shop.order(token, {"ga": 5})
    assert response.status == 422
    assert problem(response)["errors"][0]["field"] == "items[0].quantity"


def test_an_order_needs_an_idempotency_key(shop: Shop):
    _, token = shop.buyer()
    body = {
        "event_id": shop.event_id,
        "items": [{"ticket_type_id": shop.types["ga"], "quantity": 1}],
    }
    response = shop.api.post("/orders", body, token=token)
    assert response.status == 400
    assert problem(response)["code"] == "IDEMPOTENCY_KEY_MISSING"


def test_an_event_not_on_sale_refuses_orders(api: Api, aws: AwsStack):
    shop = open_shop(api, aws)
    _, token = shop.buyer()
    organizer = shop.organizer_token
    ends = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patched = api.request(
        "PATCH", f"/events/{shop.event_id}", json_body={"sales_end": ends}, token=organizer
    )
    if patched.status != 200:
        pytest.fail(f"could not close sales: {patched.body!r}")
    response = shop.order(token, {"ga": 1})
    assert response.status == 409
    assert problem(response)["code"] == "SALES_CLOSED"


# ------------------------------------------------------------ idempotency
def test_the_same_key_and_body_replay_the_same_order_and_another_body_is_refused(shop: Shop):
    _, token = shop.buyer()
    first = shop.order(token, {"ga": 1}, key="checkout-0001")
    again = shop.order(token, {"ga": 1}, key="checkout-0001")
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert again.headers["idempotent-replayed"] == "true"
    other = shop.order(token, {"ga": 2}, key="checkout-0001")
    assert other.status == 422
    assert problem(other)["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert held(shop) == (9, 1, 0)
    assert len(stripe_client().v1.payment_intents.list(params={"limit": 100}).data) >= 1


# ------------------------------------------------------------- Stripe down
def test_when_stripe_is_down_the_seats_go_back_and_the_same_key_retries(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    _, token = shop.buyer()
    real = stripe_payments.create_payment_intent

    def stripe_down(*_args, **_kwargs):
        raise DependencyUnavailable("The payment provider is unavailable; try again.")

    monkeypatch.setattr(stripe_payments, "create_payment_intent", stripe_down)
    refused = shop.order(token, {"ga": 2}, key="flaky-stripe-01")
    assert refused.status == 503
    assert problem(refused)["code"] == "DEPENDENCY_UNAVAILABLE"
    assert held(shop) == (10, 0, 0)

    monkeypatch.setattr(stripe_payments, "create_payment_intent", real)
    retried = shop.order(token, {"ga": 2}, key="flaky-stripe-01")
    assert retried.status == 201, retried.body
    assert held(shop) == (8, 2, 0)


# ------------------------------------------------------------------ cancel
def test_cancelling_returns_the_seats_and_cancels_the_payment_intent(shop: Shop):
    _, token = shop.buyer()
    order = shop.order(token, {"ga": 3}).json()
    _, stranger = shop.buyer()
    assert shop.api.post(f"/orders/{order['order_id']}/cancel", token=stranger).status == 404

    cancelled = shop.api.post(f"/orders/{order['order_id']}/cancel", token=token)
    assert cancelled.status == 200, cancelled.body
    assert cancelled.json()["status"] == "cancelled"
    assert held(shop) == (10, 0, 0)
    intent = stripe_client().v1.payment_intents.retrieve(order["payment"]["payment_intent_id"])
    assert intent.status == "canceled"
    again = shop.api.post(f"/orders/{order['order_id']}/cancel", token=token)
    assert (again.status, again.json()["status"]) == (200, "cancelled")
    assert held(shop) == (10, 0, 0)
    # The allowance came back with the seats.
    assert shop.order(token, {"ga": 4}).status == 201


def test_a_voucher_use_is_spent_by_an_order_and_returned_by_its_cancellation(shop: Shop):
    created = shop.api.post(
        f"/events/{shop.event_id}/vouchers",
        {"code": "ONCE", "kind": "percent", "value": 1000, "max_uses": 1},
        token=shop.organizer_token,
    )
    assert created.status == 201, created.body
    _, first = shop.buyer()
    order = shop.order(first, {"ga": 1}, voucher_code="once").json()
    assert order["totals"]["discount_cents"] == 500
    _, second = shop.buyer()
    assert shop.order(second, {"ga": 1}, voucher_code="ONCE").status in (409, 422)
    shop.api.post(f"/orders/{order['order_id']}/cancel", token=first)
    assert shop.order(second, {"ga": 1}, voucher_code="ONCE").status == 201


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("PlaceOrderFunction", "unknown_event", 404),
        ("GetOrderFunction", "unknown", 404),
        ("ListMyOrdersFunction", "ok", 200),
        ("CancelOrderFunction", "unknown", 404),
    ],
)
def test_each_order_sample_event_gets_its_documented_answer(aws, function_id, scenario, status):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response.get("body")


def test_retrying_one_payment_is_one_attempt_against_the_payment_rate_limit(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    # RULES §16: 5 payments a minute per IP. Replays of one key are one payment. All in
    # one rate window: a minute's boundary between the calls would reset the count.
    frozen = rate_limiting.clock()
    monkeypatch.setattr(rate_limiting, "clock", lambda: frozen)
    _, token = shop.buyer()
    here = "192.0.2.77"
    replies = [shop.order(token, {"ga": 1}, key="one-payment-01", ip=here) for _ in range(8)]
    assert {r.status for r in replies} == {201}
    assert len({r.body for r in replies}) == 1
    _, others = shop.buyer()
    more = [shop.order(others, {"ga": 1}, ip=here).status for _ in range(5)]
    assert more == [201, 201, 201, 201, 429]
    assert held(shop) == (5, 5, 0)
