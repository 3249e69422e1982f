"""The payment worker (issue 6 proofs 2, 3, 5): Stripe events applied to orders in any
order, any number of times, surviving a crash at every step; tickets issued once."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.signing_keys import load_keyset
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.orders import OrderStatus, PaymentStatus
from admitone.domain.tokens import verify_ticket_token
from admitone.services import holds, issuance
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.payments_kit import (
    WORKER,
    deliver_all,
    drain,
    intent_payload,
    outbox_of,
    receive_all,
    stripe_event,
    worker_event,
)
from tests.integration.shop import DECLINED, Shop, open_shop, pay


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": 5000, "capacity": 4, "shards": 2}})


def succeeded_event(payment_intent_id: str, event_id: str) -> str:
    return stripe_event("payment_intent.succeeded", intent_payload(payment_intent_id), event_id)


def assert_issued_once(
    shop: Shop, order_id: str, quantity: int, *, before: tuple[str, ...] = ()
) -> None:
    order = order_store.get_order(order_id)
    assert order is not None
    assert order.status is OrderStatus.PAID
    assert order.payment_status is PaymentStatus.SUCCEEDED
    assert len(order.ticket_ids) == quantity
    tickets = ticket_store.tickets_by_id(order.ticket_ids)
    assert len({t.code for t in tickets}) == quantity
    ring = load_keyset().public_keys()
    for ticket in tickets:
        verified = verify_ticket_token(
            ticket.token, ring, event_id=shop.event_id, now=datetime.now(UTC)
        )
        assert verified.ticket_id == ticket.id
    expected = [*before, "order.paid", *["ticket.issued"] * quantity]
    assert sorted(outbox_of(order_id)) == sorted(expected)


# -------------------------------------------------------------- happy path
def test_a_paid_order_gets_its_tickets_and_its_seats_are_sold(aws: AwsStack, shop: Shop):
    order = shop.placed()
    intent = pay(order["payment"]["payment_intent_id"])
    assert intent.status == "succeeded"
    deliver_all(aws, [succeeded_event(intent.id, "evt_paid_1")])
    assert drain(aws) == 1

    assert_issued_once(shop, order["order_id"], 2)
    assert shop.seats() == (2, 0, 2)
    stats = {t["ticket_type_id"]: t for t in shop.stats()["ticket_types"]}[shop.types["ga"]]
    assert stats["gross_cents"] == 10000
    fetched = shop.api.get(f"/orders/{order['order_id']}", token=_buyer_token(shop, order))
    assert fetched.status == 200
    assert fetched.json()["status"] == "paid"
    assert [t["qr_token"] is not None for t in fetched.json()["tickets"]] == [True, True]


def _buyer_token(shop: Shop, order: dict[str, Any]) -> str:
    placed = order_store.get_order(order["order_id"])
    assert placed is not None
    return shop.aws.access_token(placed.buyer_id, "buyer")


# ------------------------------------------------------------ webhook chaos
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_event_three_times_in_any_order_issues_one_set_of_tickets(
    aws: AwsStack, shop: Shop, seed: int
):
    order = shop.placed()
    pi = order["payment"]["payment_intent_id"]
    paid = pay(pi)
    assert paid.status == "succeeded"
    # The events of a declined first attempt, as Stripe snapshots the PaymentIntent in
    # them (localstripe cannot confirm again after a decline, so they are built here).
    snapshot = intent_payload(pi)
    declined = {
        **snapshot,
        "status": "requires_payment_method",
        "last_payment_error": {"message": "Your card was declined."},
    }
    failed = stripe_event("payment_intent.payment_failed", declined, f"evt_fail_{seed}")
    processing_object = {**snapshot, "status": "processing"}
    processing = stripe_event("payment_intent.processing", processing_object, f"evt_proc_{seed}")
    succeeded = succeeded_event(pi, f"evt_ok_{seed}")
    charge = stripe_event(
        "charge.succeeded", {"id": "ch_1", "payment_intent": pi}, f"evt_ch_{seed}"
    )

    deliver_all(aws, [failed, processing, succeeded, charge], times=3, seed=seed)
    drain(aws)

    assert_issued_once(shop, order["order_id"], 2)
    assert shop.seats() == (2, 0, 2)


def test_a_processing_event_after_success_is_ignored(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    deliver_all(aws, [succeeded_event(pi, "evt_ok")])
    drain(aws)
    late = stripe_event(
        "payment_intent.processing", {**intent_payload(pi), "status": "processing"}, "evt_late"
    )
    deliver_all(aws, [late])
    drain(aws)
    assert_issued_once(shop, order["order_id"], 2)


def test_a_failed_card_leaves_the_order_payable(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = order["payment"]["payment_intent_id"]
    pay(pi, DECLINED)
    deliver_all(aws, [stripe_event("payment_intent.payment_failed", intent_payload(pi), "evt_f")])
    drain(aws)
    after = order_store.get_order(order["order_id"])
    assert after is not None
    assert (after.status, after.payment_status) == (
        OrderStatus.PENDING_PAYMENT,
        PaymentStatus.REQUIRES_PAYMENT_METHOD,
    )
    assert shop.seats() == (2, 2, 0)


# --------------------------------------------------------------- mismatch
def test_a_payment_that_does_not_match_its_order_puts_it_on_hold(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    tampered = {**intent_payload(pi), "amount": 1}
    deliver_all(aws, [stripe_event("payment_intent.succeeded", tampered, "evt_bad")])
    drain(aws)
    after = order_store.get_order(order["order_id"])
    assert after is not None
    assert after.status is OrderStatus.ON_HOLD
    assert after.status_reason == "payment_mismatch:amount"
    assert after.ticket_ids == ()
    assert outbox_of(order["order_id"]) == ["security.alert"]


# ------------------------------------------------------------ late payment
def test_a_payment_after_expiry_retakes_free_seats(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    expire(order["order_id"])
    assert shop.seats() == (4, 0, 0)
    deliver_all(aws, [succeeded_event(pi, "evt_late_ok")])
    drain(aws)
    assert_issued_once(shop, order["order_id"], 2, before=("order.expired",))
    assert shop.seats() == (2, 0, 2)


def test_a_payment_after_expiry_with_no_seats_left_is_refunded_once(aws: AwsStack, shop: Shop):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    expire(order["order_id"])
    shop.placed(2)
    shop.placed(2)  # someone else holds every seat now
    deliver_all(aws, [succeeded_event(pi, "evt_late_gone")])
    drain(aws)
    deliver_all(aws, [succeeded_event(pi, "evt_late_gone_again")])
    drain(aws)
    after = order_store.get_order(order["order_id"])
    assert after is not None
    assert (after.status, after.status_reason) == (
        OrderStatus.REFUNDED,
        "late_payment_no_inventory",
    )
    refunds = stripe_client().v1.refunds.list(params={"payment_intent": pi}).data
    assert [r.amount for r in refunds] == [order["totals"]["total_cents"]]
    assert shop.seats() == (0, 4, 0)
    assert outbox_of(order["order_id"]) == ["order.expired", "order.refunded"]


def date_event_in_2106(aws: AwsStack, shop: Shop) -> None:
    """The event as one stored before dates were bounded (RULES §4): it ends past what a
    ticket token's 32-bit expiry can carry."""
    aws.client("dynamodb").update_item(
        TableName=aws.stack.function(WORKER).environment["TABLE_NAME"],
        Key={"PK": {"S": f"EVENT#{shop.event_id}"}, "SK": {"S": "EVENT"}},
        UpdateExpression="SET ends_at = :ends",
        ExpressionAttributeValues={":ends": {"S": "2106-03-01T00:00:00Z"}},
    )


@pytest.mark.parametrize("late", [False, True], ids=["on-time", "after-expiry"])
def test_a_payment_for_tickets_that_cannot_be_issued_is_refunded_and_frees_its_seats(
    aws: AwsStack, shop: Shop, late: bool
):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    if late:
        expire(order["order_id"])
    date_event_in_2106(aws, shop)

    deliver_all(aws, [succeeded_event(pi, "evt_no_ticket_can_carry")])
    drain(aws)
    deliver_all(aws, [succeeded_event(pi, "evt_no_ticket_can_carry_again")])
    drain(aws)

    after = order_store.get_order(order["order_id"])
    assert after is not None
    assert (after.status, after.status_reason) == (OrderStatus.REFUNDED, "tickets_not_issuable")
    assert after.ticket_ids == ()
    refunds = stripe_client().v1.refunds.list(params={"payment_intent": pi}).data
    assert [r.amount for r in refunds] == [order["totals"]["total_cents"]]
    assert shop.seats() == (4, 0, 0)
    assert order_store.buyer_standing(after.buyer_id, shop.event_id).tickets == 0
    assert outbox_of(order["order_id"])[-1] == "order.refunded"
    # And nobody can pay for such tickets again.
    _, token = shop.buyer()
    refused = shop.order(token, {"ga": 1})
    assert (refused.status, refused.json()["code"]) == (409, "SALES_CLOSED")


def expire(order_id: str) -> None:
    placed = order_store.get_order(order_id)
    assert placed is not None
    holds.end_hold(
        ports().store, placed, OrderStatus.EXPIRED, reason="hold_expired", now=datetime.now(UTC)
    )


# ------------------------------------------------------------ crash matrix
class Crash(Exception):
    pass


def crash_before(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    real = getattr(owner, name)
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash(f"before {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, crashing)


def crash_after(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    real = getattr(owner, name)
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash(f"after {name}")
        return result

    monkeypatch.setattr(owner, name, crashing)


ISSUE_STEPS = [
    ("before", order_store, "get_order"),
    ("before", issuance, "_commit"),
    ("after", issuance, "_commit"),
    ("after", issuance, "settle_success"),  # done, but the message is not deleted
]


@pytest.mark.parametrize(("when", "owner", "name"), ISSUE_STEPS)
def test_a_crash_at_any_step_of_issuing_and_the_retry_issues_exactly_once(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch, *, when: str, owner: Any, name: str
):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    deliver_all(aws, [succeeded_event(pi, "evt_crash")])
    messages = receive_all(aws)
    (crash_before if when == "before" else crash_after)(monkeypatch, owner, name)
    aws.use_function(WORKER)

    with pytest.raises(BatchProcessingError):  # its only record failed: SQS redelivers
        aws.invoke(WORKER, worker_event(aws, messages))
    retry = aws.invoke(WORKER, worker_event(aws, copy.deepcopy(messages)))
    assert retry["batchItemFailures"] == []
    again = aws.invoke(WORKER, worker_event(aws, copy.deepcopy(messages)))  # SQS redelivers
    assert again["batchItemFailures"] == []

    assert_issued_once(shop, order["order_id"], 2)
    assert shop.seats() == (2, 0, 2)


LATE_STEPS = [
    ("before", stripe_payments, "refund_payment_intent"),
    ("after", stripe_payments, "refund_payment_intent"),
    ("before", issuance, "_commit"),
    ("after", issuance, "_commit"),
]


@pytest.mark.parametrize(("when", "owner", "name"), LATE_STEPS)
def test_a_crash_at_any_step_of_a_late_refund_and_the_retry_refunds_exactly_once(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch, *, when: str, owner: Any, name: str
):
    order = shop.placed()
    pi = pay(order["payment"]["payment_intent_id"]).id
    expire(order["order_id"])
    shop.placed(2)
    shop.placed(2)
    deliver_all(aws, [succeeded_event(pi, "evt_late_crash")])
    messages = receive_all(aws)
    (crash_before if when == "before" else crash_after)(monkeypatch, owner, name)
    aws.use_function(WORKER)

    with pytest.raises(BatchProcessingError):
        aws.invoke(WORKER, worker_event(aws, messages))
    for _ in range(2):
        retry = aws.invoke(WORKER, worker_event(aws, copy.deepcopy(messages)))
        assert retry["batchItemFailures"] == []

    after = order_store.get_order(order["order_id"])
    assert after is not None
    assert after.status is OrderStatus.REFUNDED
    refunds = stripe_client().v1.refunds.list(params={"payment_intent": pi}).data
    assert len(refunds) == 1
    assert shop.seats() == (0, 4, 0)
    assert outbox_of(order["order_id"]).count("order.refunded") == 1


@pytest.mark.parametrize(("function_id", "scenario"), [("PaymentEventsFunction", "unknown_order")])
def test_the_worker_sample_acknowledges_a_payment_of_no_order_of_ours(
    aws: AwsStack, function_id: str, scenario: str
):
    assert aws.invoke_sample(function_id, scenario) == {"batchItemFailures": []}
