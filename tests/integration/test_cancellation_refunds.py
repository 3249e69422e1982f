"""Cancelling an event refunds every paid order in full (RULES §9), exactly once, even
when the consumer dies mid-way and its message comes back; progress shows in the
event's stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.queues import CONTINUE
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.orders import OrderStatus
from admitone.domain.tickets import TicketStatus
from admitone.services import holds, refunds
from admitone.services.wiring import ports
from scripts.devstack.pollers import SqsPoller
from scripts.ledger_check import run as ledger_check
from tests.conftest import sample_event
from tests.integration.conftest import Api, AwsStack, InProcessRuntime
from tests.integration.gate_kit import buy
from tests.integration.money_kit import assert_ledger_balances, balance, order, stripe_refunds
from tests.integration.payments_kit import deliver_all, intent_payload, stripe_event
from tests.integration.payments_kit import drain as drain_payments
from tests.integration.shop import Shop, iso, open_shop, pay

CONSUMER = "CancellationRefundsFunction"


def consumer_source(aws: AwsStack):
    return next(s for s in aws.stack.sqs_sources() if s.function_id == CONSUMER)


def announce(aws: AwsStack, event_id: str) -> None:
    """event.cancelled reaches the consumer's queue, as its EventBridge rule sends it."""
    bus_event = json.loads(
        sample_event("events.cancellation_refunds", "unknown_event")["Records"][0]["body"]
    )
    bus_event["detail"]["data"]["event_id"] = event_id
    aws.client("sqs").send_message(
        QueueUrl=consumer_source(aws).queue_url, MessageBody=json.dumps(bus_event)
    )


def drain(aws: AwsStack) -> int:
    """Run the consumer on everything queued (a run also queues its own continuation)."""
    aws.use_function(CONSUMER)
    poller = SqsPoller(consumer_source(aws), InProcessRuntime(aws), aws.client("sqs"), None, print)  # type: ignore[arg-type]
    handled = 0
    while count := poller.poll_once():
        handled += count
    return handled


def redeliver(aws: AwsStack, event_id: str) -> dict[str, Any]:
    """The message of a run that died comes back (its body: carry on with the event)."""
    event = sample_event("events.cancellation_refunds", "unknown_event")
    event["Records"][0]["body"] = json.dumps({CONTINUE: event_id})
    return aws.invoke(CONSUMER, event)


def cancel(shop: Shop) -> None:
    response = shop.api.post(
        f"/events/{shop.event_id}/cancel",
        {"reason": "the artist is ill"},
        token=shop.organizer_token,
    )
    assert response.status == 200, response.body


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": 3000, "capacity": 100}})


def test_fifty_paid_orders_are_refunded_in_full_exactly_once_despite_a_crash(
    aws, shop, monkeypatch
):
    holders = [buy(shop, 1) for _ in range(50)]
    partly = holders[0]  # a buyer who already refunded their ticket: the fees remain
    refunded = shop.api.post(
        f"/orders/{partly.order_id}/refunds",
        {"ticket_ids": [partly.tickets[0]["id"]]},
        token=partly.token,
        headers={"Idempotency-Key": "before-the-cancellation"},
    )
    assert refunded.status == 201, refunded.body
    cancel(shop)

    real_send = refunds.send
    calls = {"n": 0}

    def dies_at_the_23rd(refund, *, now):
        calls["n"] += 1
        if calls["n"] == 23:
            raise RuntimeError("the Lambda died after asking the refund, before Stripe")
        return real_send(refund, now=now)

    monkeypatch.setattr(refunds, "send", dies_at_the_23rd)
    announce(aws, shop.event_id)
    drain(aws)

    progress = shop.stats()["cancellation_refunds"]
    assert progress["status"] == "running"
    assert progress["orders_done"] == 20  # two pages finished before the crash
    assert progress["orders_total"] == 50

    answer = redeliver(aws, shop.event_id)
    assert answer["batchItemFailures"] == []
    drain(aws)

    progress = shop.stats()["cancellation_refunds"]
    assert progress["status"] == "completed"
    assert progress["orders_done"] == 50
    for holder in holders:
        paid = order(holder.order_id)
        assert paid.status.value == "refunded"
        made = [r for r in stripe_refunds(holder.order_id) if r.status == "succeeded"]
        assert sum(int(r.amount) for r in made) == paid.totals.total
        reasons = [r.metadata.to_dict()["reason"] for r in made]
        expected = 1 if holder is not partly else 2
        assert reasons.count("event_cancelled") == 1
        assert len(made) == expected
    tickets = ticket_store.tickets_by_id([h.tickets[0]["id"] for h in holders])
    assert {ticket.status for ticket in tickets} == {TicketStatus.VOID}
    assert (
        progress["refunded_cents"]
        == sum(order(h.order_id).totals.total for h in holders) - (refunded.json()["amount_cents"])
    )
    assert balance(shop)["pending_cents"] == 0
    # The ticket refunded before the cancellation went back on sale; after it, none does.
    assert shop.seats() == (51, 0, 49)
    assert_ledger_balances()

    announce(aws, shop.event_id)  # event.cancelled delivered again: nothing more
    drain(aws)
    assert all(len(stripe_refunds(h.order_id)) == (2 if h is partly else 1) for h in holders)


def test_the_consumer_ignores_events_that_are_not_cancelled(aws, shop):
    holder = buy(shop, 1)
    announce(aws, shop.event_id)  # a forged or stale message: the event is on sale
    drain(aws)
    assert stripe_refunds(holder.order_id) == []
    assert shop.stats()["cancellation_refunds"] is None


def test_the_cancellation_sample_event_is_ignored_for_an_unknown_event(aws):
    assert aws.invoke_sample("CancellationRefundsFunction", "unknown_event") == {
        "batchItemFailures": []
    }


def move_event(aws: AwsStack, shop: Shop, *, starts_at: datetime, ends_at: datetime) -> None:
    """The event's dates as time would have brought them (an event cannot be dated in
    the past through the API)."""
    aws.client("dynamodb").update_item(
        TableName=aws.stack.physical_name("Table"),
        Key={"PK": {"S": f"EVENT#{shop.event_id}"}, "SK": {"S": "EVENT"}},
        UpdateExpression="SET starts_at = :starts, ends_at = :ends",
        ExpressionAttributeValues={":starts": {"S": iso(starts_at)}, ":ends": {"S": iso(ends_at)}},
    )


def test_an_event_that_has_ended_cannot_be_cancelled_and_its_orders_keep_their_money(aws, shop):
    holder = buy(shop, 1)
    now = datetime.now(UTC)
    move_event(aws, shop, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(seconds=1))

    refused = shop.api.post(
        f"/events/{shop.event_id}/cancel", {"reason": "too late"}, token=shop.organizer_token
    )

    assert (refused.status, refused.json()["code"]) == (409, "EVENT_ENDED")
    assert shop.api.get(f"/events/{shop.event_id}").json()["status"] == "published"
    announce(aws, shop.event_id)
    drain(aws)
    assert order(holder.order_id).status.value == "paid"
    assert stripe_refunds(holder.order_id) == []


def test_an_event_under_way_can_still_be_cancelled(aws, shop):
    now = datetime.now(UTC)
    move_event(aws, shop, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(minutes=5))
    cancel(shop)


@pytest.mark.parametrize("late", [False, True], ids=["within-the-hold", "after-the-hold"])
def test_a_payment_that_lands_on_a_cancelled_event_is_refunded_in_full_and_issues_nothing(
    aws, shop, late
):
    placed = shop.placed(2)
    payment_intent_id = placed["payment"]["payment_intent_id"]
    if late:  # paid, but the hold ran out before Stripe's word arrived
        assert pay(payment_intent_id).status == "succeeded"
        pending = order(placed["order_id"])
        holds.end_hold(
            ports().store,
            pending,
            OrderStatus.EXPIRED,
            reason="hold_expired",
            now=datetime.now(UTC),
        )
        cancel(shop)
    else:  # the buyer pays within the hold, after the organizer cancelled
        cancel(shop)
        assert pay(payment_intent_id).status == "succeeded"

    succeeded = intent_payload(payment_intent_id)
    deliver_all(aws, [stripe_event("payment_intent.succeeded", succeeded, "evt_after_cancel")])
    drain_payments(aws)
    deliver_all(aws, [stripe_event("payment_intent.succeeded", succeeded, "evt_after_cancel_2")])
    drain_payments(aws)

    after = order(placed["order_id"])
    assert (after.status, after.status_reason) == (OrderStatus.REFUNDED, "event_cancelled")
    assert after.ticket_ids == ()
    assert [int(r.amount) for r in stripe_refunds(placed["order_id"])] == [
        placed["totals"]["total_cents"]
    ]
    assert shop.seats() == (100, 0, 0)
    assert order_store.buyer_standing(after.buyer_id, shop.event_id).tickets == 0
    assert balance(shop)["pending_cents"] == 0
    assert ledger_check().differences == []  # nothing was booked: no sale, no refund


def test_cancelling_ends_the_orders_awaiting_payment_and_refunds_one_paid_meanwhile(aws, shop):
    unpaid = shop.placed(2)
    paid_unheard = shop.placed(1)  # paid at Stripe; its webhook has not arrived yet
    assert pay(paid_unheard["payment"]["payment_intent_id"]).status == "succeeded"
    assert shop.seats() == (97, 3, 0)

    cancel(shop)
    announce(aws, shop.event_id)
    drain(aws)

    ended = order(unpaid["order_id"])
    assert (ended.status, ended.status_reason) == (OrderStatus.CANCELLED, "event_cancelled")
    payment_intent_id = unpaid["payment"]["payment_intent_id"]
    intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    assert intent.status == "canceled"  # the buyer can no longer pay it
    assert order_store.buyer_standing(ended.buyer_id, shop.event_id).tickets == 0

    refunded = order(paid_unheard["order_id"])
    assert (refunded.status, refunded.status_reason) == (OrderStatus.REFUNDED, "event_cancelled")
    assert refunded.ticket_ids == ()
    assert [int(r.amount) for r in stripe_refunds(paid_unheard["order_id"])] == [
        paid_unheard["totals"]["total_cents"]
    ]
    assert shop.seats() == (100, 0, 0)
    assert balance(shop)["pending_cents"] == 0

    # Its webhook arriving later changes nothing.
    late = stripe_event(
        "payment_intent.succeeded",
        intent_payload(paid_unheard["payment"]["payment_intent_id"]),
        "evt_paid_before_the_job",
    )
    deliver_all(aws, [late])
    drain_payments(aws)
    assert order(paid_unheard["order_id"]).status is OrderStatus.REFUNDED
    assert len(stripe_refunds(paid_unheard["order_id"])) == 1
