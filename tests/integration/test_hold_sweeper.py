"""The hold sweeper and reconciliation (RULES §4, §8): overdue holds end, seats return,
payments that went through anyway are honoured, missed and stalled events are caught up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.orders import OrderStatus, PaymentStatus
from admitone.domain.stripe_events import read_event
from admitone.services.hold_sweeper import Overdue, sweep
from admitone.services.reconcile import reconcile
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.payments_kit import drain, intent_payload, receive_all, stripe_event
from tests.integration.shop import Shop, open_shop, pay


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    shop = open_shop(
        api, aws, hold_minutes=5, types={"ga": {"price_cents": 3000, "capacity": 4, "shards": 2}}
    )
    aws.use_function("ReconcileFunction")
    return shop


def after_hold(order: dict, seconds: int = 1) -> datetime:
    return datetime.fromisoformat(order["hold_expires_at"]) + timedelta(seconds=seconds)


def test_an_unpaid_order_past_its_hold_expires_and_its_seats_sell_again(shop: Shop):
    order = shop.placed(4)
    assert sweep(ports(), after_hold(order, -1)) == {}  # not yet
    assert shop.seats() == (0, 4, 0)

    assert sweep(ports(), after_hold(order)) == {Overdue.EXPIRED: 1}
    expired = order_store.get_order(order["order_id"])
    assert expired is not None
    assert (expired.status, expired.status_reason) == (OrderStatus.EXPIRED, "hold_expired")
    assert shop.seats() == (4, 0, 0)
    intent = stripe_client().v1.payment_intents.retrieve(order["payment"]["payment_intent_id"])
    assert intent.status == "canceled"  # it can no longer be paid
    assert sweep(ports(), after_hold(order)) == {}  # nothing twice
    assert shop.placed(4)["status"] == "pending_payment"  # and the seats sell again


def test_a_payment_that_went_through_is_honoured_not_expired(shop: Shop):
    order = shop.placed()
    pay(order["payment"]["payment_intent_id"])  # its webhook has not arrived yet
    assert sweep(ports(), after_hold(order)) == {Overdue.PAID: 1}
    paid = order_store.get_order(order["order_id"])
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    assert len(paid.ticket_ids) == 2
    assert shop.seats() == (2, 0, 2)


def test_reconcile_requeues_a_stored_event_that_never_reached_the_queue(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    body = stripe_event("payment_intent.succeeded", intent_payload(pi), "evt_stalled")
    stored_at = datetime.now(UTC) - timedelta(minutes=6)
    ports().store.stripe_inbox.record(read_event(json.loads(body)), body, now=stored_at)
    report = reconcile(ports(), datetime.now(UTC))
    assert report["stalled_events_requeued"] == 1
    drain(aws)
    paid = order_store.get_order(order["order_id"])
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    assert reconcile(ports(), datetime.now(UTC))["stalled_events_requeued"] == 0


def test_reconcile_ingests_the_events_stripe_sent_that_never_arrived(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pay(order["payment"]["payment_intent_id"])
    report = reconcile(ports(), datetime.now(UTC))
    assert report["missed_events_ingested"] >= 1
    drain(aws)
    paid = order_store.get_order(order["order_id"])
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    assert reconcile(ports(), datetime.now(UTC))["missed_events_ingested"] == 0
    assert receive_all(aws) == []


def test_reconcile_catches_up_missed_events_past_the_first_page(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    # One event a page: two missed payments need two pages (100 a page in production).
    monkeypatch.setattr("admitone.services.reconcile.LIMIT", 1)
    orders = [shop.placed(), shop.placed()]
    for order in orders:
        pay(order["payment"]["payment_intent_id"])

    assert reconcile(ports(), datetime.now(UTC))["missed_events_ingested"] >= 2
    drain(aws)

    for order in orders:
        paid = order_store.get_order(order["order_id"])
        assert paid is not None
        assert paid.status is OrderStatus.PAID


def test_reconcile_refreshes_a_payment_processing_for_ten_minutes(api: Api, aws: AwsStack):
    # A 30-minute hold: at +11 min the order is still held, only its payment is stale.
    shop = open_shop(api, aws, hold_minutes=30)
    order = shop.placed()
    placed = order_store.get_order(order["order_id"])
    assert placed is not None
    order_store.record_payment_status(placed, PaymentStatus.PROCESSING, error=None)
    assert reconcile(ports(), datetime.now(UTC))["processing_payments_refreshed"] == 0
    pay(order["payment"]["payment_intent_id"])
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert reconcile(ports(), later)["processing_payments_refreshed"] == 1
    paid = order_store.get_order(order["order_id"])
    assert paid is not None
    assert paid.status is OrderStatus.PAID


@pytest.mark.parametrize(
    ("function_id", "scenario"),
    [("HoldSweeperFunction", "every_minute"), ("ReconcileFunction", "every_five_minutes")],
)
def test_each_job_sample_event_runs_the_job(aws: AwsStack, function_id: str, scenario: str):
    result = aws.invoke_sample(function_id, scenario)
    assert isinstance(result, dict)
    assert all(isinstance(count, int) for count in result.values())
