"""How many DynamoDB and Stripe round trips one POST /orders makes (issue 18, item 3): each
round trip is latency every buyer of an on-sale waits for. Counted below every client
(botocore's ``BaseClient._make_api_call``: the authorizer's, the idempotency layer's, the
rate counters', the store's) and at the Stripe SDK's requestor, per function. Printed
with ``-s``; the exact counts fail on a round trip coming back.

Each request here runs in a fresh container (tests/integration/conftest.py). A container's
first order also reads its venue (kept 60 s: ``catalog.recent_venues``) and claims a block
of 100 order numbers (``ORDER_NUMBER_BLOCK``); a warm container does neither, so a warm
order costs two round trips fewer than counted here (the last test shows the venue read
once per container).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe._api_requestor
from botocore.client import BaseClient

from admitone.domain.accounts import Principal
from admitone.domain.checkout import CartItem
from admitone.domain.jwt_tokens import Role
from admitone.domain.orders import PER_USER_EVENT_LIMIT, OrderStatus, PaymentStatus
from admitone.domain.payments import Intent
from admitone.services.orders import order_for
from admitone.services.payments import settle_payment_intent
from admitone.services.quote import price_cart
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, open_shop

PLACE_ORDER = "admitone-local-PlaceOrderFunction"
AUTHORIZER = "admitone-local-AuthorizerFunction"
# A cold container's first order: the idempotency record with its three rate counters
# (general per IP, payment per IP and per user) in one transaction; the event's partition
# (event, ticket types, vouchers); its venue; the inventory shards; a block of order
# numbers; the hold (order with its PaymentIntent, standing, shards); the record completed.
# Before issue 18 item 3: 3 counter UpdateItems, a PutItem, the venue read on every
# order, and an UpdateItem attaching the PaymentIntent after the hold (10 warm, 12 cold).
COLD_ORDER = Counter(
    {
        "TransactWriteItems": 2,
        "Query": 1,
        "GetItem": 1,  # the venue (per container)
        "BatchGetItem": 1,
        "UpdateItem": 2,  # the order-number block (per container), the record completed
    }
)
PER_CONTAINER = 2  # the venue read, the order-number block
# A voucher's code is tried against the client's allowance of wrong codes (per IP and
# per user) and the tries given back once the code is right: 4 UpdateItems.
VOUCHER_TRIES = 4


@dataclass
class Calls:
    """Every DynamoDB call, by the function that made it, and the partition of each GetItem;
    every Stripe request."""

    dynamodb: dict[str, Counter[str]] = field(default_factory=dict)
    got: list[str] = field(default_factory=list)
    stripe: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.dynamodb.clear()
        self.got.clear()
        self.stripe.clear()

    def of(self, function_name: str) -> Counter[str]:
        return self.dynamodb.get(function_name, Counter())

    def report(self, what: str) -> None:
        by_function = {name.rsplit("-", 1)[-1]: dict(ops) for name, ops in self.dynamodb.items()}
        total = sum(sum(ops.values()) for ops in self.dynamodb.values())
        print(f"\n{what}: {total} DynamoDB calls {by_function}; Stripe {self.stripe}")


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    real_call = BaseClient._make_api_call
    real_request = stripe._api_requestor._APIRequestor.request

    def counting_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "?")
            calls.dynamodb.setdefault(function, Counter())[operation] += 1
            if operation == "GetItem":
                calls.got.append(str(params["Key"]["PK"]["S"]).split("#")[0])
        return real_call(client, operation, params)

    def counting_request(requestor: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.stripe.append(f"{method.upper()} {url.split('/')[2]}")
        return real_request(requestor, method, url, *args, **kwargs)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting_call)
    monkeypatch.setattr(stripe._api_requestor._APIRequestor, "request", counting_request)
    return calls


def test_an_order_makes_one_read_of_the_user_six_round_trips_warm_and_one_stripe_call(
    shop: Shop, calls: Calls
):
    _, token = shop.buyer()
    calls.clear()

    response = shop.order(token, {"ga": 2})

    assert response.status == 201, response.body
    calls.report("POST /orders")
    assert calls.of(AUTHORIZER) == Counter({"GetItem": 1})
    assert calls.of(PLACE_ORDER) == COLD_ORDER
    warm = 1 + COLD_ORDER.total() - PER_CONTAINER
    assert warm == 6  # with the authorizer's read; 5 in the function itself
    assert calls.stripe == ["POST payment_intents"]


def test_an_order_with_a_voucher_reads_the_voucher_with_its_event(shop: Shop, calls: Calls):
    created = shop.api.post(
        f"/events/{shop.event_id}/vouchers",
        {"code": "TENOFF", "kind": "percent", "value": 1000, "max_uses": 5},
        token=shop.organizer_token,
    )
    assert created.status == 201, created.body
    _, token = shop.buyer()
    calls.clear()

    response = shop.order(token, {"ga": 2}, voucher_code="TENOFF")

    assert response.status == 201, response.body
    calls.report("POST /orders with a voucher")
    assert calls.of(PLACE_ORDER) == COLD_ORDER + Counter({"UpdateItem": VOUCHER_TRIES})
    # The event's partition holds the voucher: no read of it by key.
    assert "EVENT" not in calls.got
    assert calls.stripe == ["POST payment_intents"]


def test_an_order_over_the_buyers_limit_is_explained_without_another_read(shop: Shop, calls: Calls):
    _, token = shop.buyer()
    assert shop.order(token, {"ga": PER_USER_EVENT_LIMIT}).status == 201
    calls.clear()

    response = shop.order(token, {"ga": 1})

    assert (response.status, response.json()["errors"][0]["code"]) == (422, "PER_BUYER_LIMIT")
    calls.report("POST /orders over the limit")
    # The refusal's ALL_OLD standing says why: no read of the standing after it (the
    # authorizer reads the user, pricing the venue).
    assert sorted(calls.got) == ["USER", "VENUE"]
    # The PaymentIntent made before the hold is cancelled (read, then cancelled).
    assert calls.stripe == ["POST payment_intents", "GET payment_intents", "POST payment_intents"]


def test_a_container_reads_a_venue_once_for_many_orders(shop: Shop, calls: Calls):
    shop.aws.use_function("PlaceOrderFunction")
    calls.clear()

    for _ in range(3):
        price_cart(shop.event_id, [CartItem(shop.types["ga"], 1)])

    assert calls.got == ["VENUE"]
    assert calls.of(PLACE_ORDER) == Counter({"Query": 3, "GetItem": 1})


def test_a_succeeded_payment_is_applied_in_three_round_trips(shop: Shop, calls: Calls):
    buyer_id, token = shop.buyer()
    placed = shop.order(token, {"ga": 1}).json()
    shop.aws.use_function("PaymentEventsFunction")
    intent = Intent(
        id=placed["payment"]["payment_intent_id"],
        status=PaymentStatus.SUCCEEDED,
        amount=placed["totals"]["total_cents"],
        currency="usd",
        order_id=placed["order_id"],
        client_secret="",
    )
    calls.clear()

    settle_payment_intent(intent, now=datetime.now(UTC))

    # The order, its event, the issuing transaction; no read of the order after it (was 4).
    payment_events = "admitone-local-PaymentEventsFunction"
    assert calls.of(payment_events) == Counter({"GetItem": 2, "TransactWriteItems": 1})
    assert calls.got == ["ORDER", "EVENT"]

    buyer = Principal(user_id=buyer_id, roles=frozenset({Role.BUYER}), email="b@example.com")
    assert order_for(ports(), placed["order_id"], buyer).status is OrderStatus.PAID
