"""Money seen from outside: refunds asked through the API, what Stripe refunded, a
venue's balance and ledger, Stripe's refund and dispute webhooks, and the ledger check."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.ids import Prefix, new_id
from admitone.domain.orders import Order
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, ApiResponse, AwsStack
from tests.integration.payments_kit import deliver_all, drain, stripe_event
from tests.integration.shop import Shop


def ask_refund(
    api: Api,
    order_id: str,
    token: str,
    body: dict[str, Any] | None = None,
    *,
    key: str | None = None,
) -> ApiResponse:
    return api.post(
        f"/orders/{order_id}/refunds",
        body or {},
        token=token,
        headers={"Idempotency-Key": key or f"refund-{uuid.uuid4()}"},
    )


def order(order_id: str) -> Order:
    found = order_store.get_order(order_id)
    assert found is not None
    return found


def stripe_refunds(order_id: str) -> list[Any]:
    """Every refund Stripe holds for the order's PaymentIntent."""
    payment_intent_id = order(order_id).payment_intent_id
    found = stripe_client().v1.refunds.list(
        params={"payment_intent": payment_intent_id, "limit": 100}
    )
    return list(found.data)


def refunded_on_stripe(order_id: str) -> int:
    return sum(
        int(refund.amount) for refund in stripe_refunds(order_id) if refund.status == "succeeded"
    )


def venue_of(shop: Shop) -> str:
    event = catalog.get_event(shop.event_id)
    assert event is not None
    return event.venue_id


def balance(shop: Shop) -> dict[str, Any]:
    response = shop.api.get(f"/venues/{venue_of(shop)}/balance", token=shop.organizer_token)
    assert response.status == 200, response.body
    return dict(response.json())


def ledger_page(shop: Shop, *, limit: int = 200) -> list[dict[str, Any]]:
    response = shop.api.get(
        f"/venues/{venue_of(shop)}/ledger?limit={limit}", token=shop.organizer_token
    )
    assert response.status == 200, response.body
    return list(response.json()["transactions"])


def assert_ledger_balances() -> None:
    """scripts/ledger-check finds nothing to report."""
    report = ledger_check()
    assert report.transactions > 0
    assert report.differences == []


def stripe_webhook(aws: AwsStack, event_type: str, data_object: dict[str, Any]) -> None:
    """Stripe tells us of ``event_type`` (signed, queued, applied by the worker)."""
    deliver_all(aws, [stripe_event(event_type, data_object, f"evt_{new_id(Prefix.EVENT)}")])
    drain(aws)


def dispute_object(order_id: str, amount: int, *, status: str = "needs_response") -> dict[str, Any]:
    payment_intent_id = order(order_id).payment_intent_id
    return {
        "id": f"dp_{order_id[-12:]}",
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "payment_intent": payment_intent_id,
        "charge": f"ch_{order_id[-12:]}",
        "status": status,
        "reason": "fraudulent",
        "created": int(datetime.now(UTC).timestamp()),
    }
