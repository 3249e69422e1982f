"""A lost dispute (RULES §10): the card holder has the money back through the bank, so
the order is charged back, its remaining tickets void online and in the scanner bundle,
and the organizer is told (``order.charged_back``, through the outbox and webhooks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from admitone.services.webhooks import Clock, dispatch
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Gates, buy, gate_crew, tonight_shop
from tests.integration.money_kit import (
    ask_refund,
    assert_ledger_balances,
    balance,
    dispute_object,
    order,
    stripe_webhook,
)
from tests.integration.payments_kit import outbox_of
from tests.integration.shop import Shop
from tests.integration.test_checkin import bundle
from tests.integration.test_webhooks import Receiver, bus_event, subscribe


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


@pytest.fixture
def crew(shop: Shop) -> Gates:
    return gate_crew(shop)


def test_a_lost_dispute_charges_the_order_back_and_voids_its_tickets(aws, shop, crew):
    receiver = Receiver()
    try:
        endpoint = subscribe(shop, receiver.url, ["order.charged_back"])
        disputed, other = buy(shop, 2), buy(shop, 1)
        kept_by_refund, still_valid = disputed.tickets
        refunded = ask_refund(
            shop.api,
            disputed.order_id,
            shop.organizer_token,
            {"ticket_ids": [kept_by_refund["id"]]},
        )
        assert refunded.status == 201, refunded.body
        cursor = bundle(crew, crew.devices[0])["cursor"]
        total = order(disputed.order_id).totals.total

        stripe_webhook(aws, "charge.dispute.created", dispute_object(disputed.order_id, total))
        assert crew.scan(still_valid["qr_token"]).json()["result"] == "admitted"  # still open
        stripe_webhook(
            aws, "charge.dispute.closed", dispute_object(disputed.order_id, total, status="lost")
        )
        stripe_webhook(  # Stripe repeating itself changes nothing
            aws, "charge.dispute.closed", dispute_object(disputed.order_id, total, status="lost")
        )

        seen = shop.api.get(f"/orders/{disputed.order_id}", token=disputed.token).json()
        assert seen["status"] == "charged_back"
        assert {t["status"] for t in seen["tickets"]} == {"void"}
        assert crew.scan(still_valid["qr_token"]).json()["result"] == "void"
        revoked = bundle(crew, crew.devices[0], since=cursor)["revocations"]
        assert {"ticket_id": still_valid["id"], "version": None} in revoked
        again = ask_refund(shop.api, disputed.order_id, shop.organizer_token)
        assert (again.status, again.json()["code"]) == (409, "ORDER_NOT_REFUNDABLE")
        other_seen = shop.api.get(f"/orders/{other.order_id}", token=other.token).json()
        assert other_seen["status"] == "paid"
        assert crew.scan(other.tickets[0]["qr_token"]).json()["result"] == "admitted"

        assert outbox_of(disputed.order_id).count("order.charged_back") == 1
        event = bus_event(aws, disputed.order_id, "order.charged_back")
        aws.use_function("WebhookDispatcherFunction")
        assert (
            dispatch(
                event, Clock(time_left=lambda: timedelta(seconds=30)), envelopes=ports().envelopes
            )
            == 1
        )
        headers, body = receiver.received[-1]
        delivered = Webhook(endpoint["secret"]).verify(body, headers)
        assert delivered["type"] == "order.charged_back"
        assert delivered["data"] | {"dispute_id": None} == {
            "order_id": disputed.order_id,
            "event_id": shop.event_id,
            "dispute_id": None,
            "amount": total,
            "currency": "USD",
            "void_ticket_ids": [still_valid["id"]],
        }
        assert balance(shop)["reserved_cents"] == 0
        assert_ledger_balances()
    finally:
        receiver.server.shutdown()


def test_a_won_dispute_leaves_the_order_paid_and_its_tickets_valid(aws, shop, crew):
    holder = buy(shop, 1)
    total = order(holder.order_id).totals.total
    stripe_webhook(aws, "charge.dispute.created", dispute_object(holder.order_id, total))
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(holder.order_id, total, status="won")
    )
    seen = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    assert (seen["status"], seen["disputed"]) == ("paid", False)
    assert crew.scan(holder.tickets[0]["qr_token"]).json()["result"] == "admitted"
    assert "order.charged_back" not in outbox_of(holder.order_id)
