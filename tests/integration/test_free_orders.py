"""Orders that cost nothing, orders too small to charge, and failures after the hold
(issue 15, RULES §4): a zero total is paid at once without Stripe, with its tickets,
ledger and announcements; a total below Stripe's minimum is refused before anything is
held; whatever fails after the hold gives the seats back and answers a problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.signing_keys import load_keyset
from admitone.adapters.stripe_api import stripe_client
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.money import format_money
from admitone.domain.orders import OrderStatus
from admitone.domain.tokens import verify_ticket_token
from admitone.services import inventory as inventory_service
from admitone.services import issuance
from admitone.services.accounts_by_email import user_for_email
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, ApiResponse, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.payments_kit import outbox_of
from tests.integration.shop import Shop, open_shop
from tests.integration.test_cancellation_refunds import announce, cancel
from tests.integration.test_cancellation_refunds import drain as drain_cancellation
from tests.integration.test_notifier import mails_to, publish_outbox, run_notifier
from tests.qr_decode import decode_png

# Nashville: 25 + 2 (starter fee) + 2 + 1 + 0 (state, local, entertainment tax) = 30 cents.
THIRTY_CENT_PRICE = 25


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(
        api,
        aws,
        types={
            "free": {"price_cents": 0, "capacity": 10, "shards": 2},
            "ga": {"price_cents": 5000, "capacity": 10, "shards": 2},
            "tiny": {"price_cents": THIRTY_CENT_PRICE, "capacity": 10},
        },
    )


def problem(response: ApiResponse) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.body
    return dict(response.json())


def voucher(shop: Shop, code: str, kind: str, value: int, max_uses: int = 5) -> None:
    created = shop.api.post(
        f"/events/{shop.event_id}/vouchers",
        {"code": code, "kind": kind, "value": value, "max_uses": max_uses},
        token=shop.organizer_token,
    )
    assert created.status == 201, created.body


REAL_CREATE = stripe_payments.create_payment_intent
REAL_HOLD = inventory_service.hold


@pytest.fixture
def intents_made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every PaymentIntent the service has Stripe make, as Stripe answered."""
    made: list[Any] = []

    def recorded(order: Any, *, idempotency_key: str) -> Any:
        made.append(REAL_CREATE(order, idempotency_key=idempotency_key))
        return made[-1]

    monkeypatch.setattr(stripe_payments, "create_payment_intent", recorded)
    return made


def assert_paid_at_once(
    shop: Shop, response: ApiResponse, quantity: int, intents_made: list[Any]
) -> dict[str, Any]:
    """201, paid, with its tickets (their QR for the buyer), no PaymentIntent anywhere,
    the same announcements as a paid order, and books that add up."""
    assert response.status == 201, response.body
    order = dict(response.json())
    assert order["status"] == "paid"
    assert order["totals"]["total_cents"] == 0
    assert order["paid_at"] is not None
    assert order["payment"]["payment_intent_id"] is None
    assert order["payment"]["client_secret"] is None
    assert len(order["tickets"]) == quantity
    assert all(t["status"] == "valid" and t["qr_token"] for t in order["tickets"])

    stored = order_store.get_order(order["order_id"])
    assert stored is not None
    assert stored.status is OrderStatus.PAID
    assert set(stored.ticket_ids) == {t["id"] for t in order["tickets"]}
    ring = load_keyset().public_keys()
    for ticket in ticket_store.tickets_by_id(stored.ticket_ids):
        verify_ticket_token(ticket.token, ring, event_id=shop.event_id, now=stored.created_at)
    assert intents_made == []
    assert sorted(outbox_of(order["order_id"])) == sorted(
        ["order.paid", *["ticket.issued"] * quantity]
    )
    # Nothing moved, so nothing is booked: no zero-amount transactions, books that agree.
    booked = [t for t in ledger_store.all_transactions() if t["txn_id"].endswith(stored.id)]
    assert booked == []
    assert ledger_check().differences == []
    return order


# -------------------------------------------------------------------- free
def test_a_free_ticket_order_is_paid_at_once_with_its_tickets(shop: Shop, intents_made):
    _, token = shop.buyer()
    placed = shop.order(token, {"free": 2}, key="free-order-01")
    order = assert_paid_at_once(shop, placed, 2, intents_made)
    assert shop.seats("free") == (8, 0, 2)  # sold, not held
    stats = {t["ticket_type_id"]: t for t in shop.stats()["ticket_types"]}[shop.types["free"]]
    assert (stats["sold"], stats["held"], stats["gross_cents"]) == (2, 0, 0)

    fetched = shop.api.get(f"/orders/{order['order_id']}", token=token)
    assert fetched.status == 200, fetched.body
    assert fetched.json()["status"] == "paid"
    assert len(fetched.json()["tickets"]) == 2
    # The same key replays the answer; nothing is issued twice.
    replayed = shop.order(token, {"free": 2}, key="free-order-01")
    assert replayed.status == 201
    assert replayed.json()["order_id"] == order["order_id"]
    assert shop.seats("free") == (8, 0, 2)


def test_a_free_ticket_type_quotes_zero_fees(shop: Shop):
    quote = shop.api.post(
        "/quotes",
        {
            "event_id": shop.event_id,
            "items": [{"ticket_type_id": shop.types["free"], "quantity": 3}],
        },
    )
    assert quote.status == 200, quote.body
    body = quote.json()
    assert (body["subtotal_cents"], body["platform_fee_cents"], body["total_cents"]) == (0, 0, 0)
    assert all(tax["amount_cents"] == 0 for tax in body["taxes"])


@pytest.mark.parametrize(("kind", "value"), [("percent", 10_000), ("fixed", 10_000)])
def test_a_voucher_that_discounts_everything_pays_the_order_at_once(
    shop: Shop, kind: str, value: int, intents_made: list[Any]
):
    voucher(shop, "ALLFREE", kind, value, max_uses=1)
    _, token = shop.buyer()
    placed = shop.order(token, {"ga": 2}, voucher_code="allfree")
    order = assert_paid_at_once(shop, placed, 2, intents_made)
    assert order["totals"]["subtotal_cents"] == 10000
    assert order["totals"]["discount_cents"] == 10000
    assert order["voucher_code"] == "ALLFREE"
    assert shop.seats("ga") == (8, 0, 2)
    # Its one use is spent.
    _, other = shop.buyer()
    assert problem(shop.order(other, {"ga": 1}, voucher_code="ALLFREE"))["code"] in (
        "VOUCHER_EXHAUSTED",
        "VOUCHER_INVALID",
    )


# ---------------------------------------------------------- below minimum
def test_a_30_cent_total_is_refused_at_quote_and_at_order_holding_nothing(
    shop: Shop, intents_made: list[Any]
):
    items = [{"ticket_type_id": shop.types["tiny"], "quantity": 1}]
    quoted = shop.api.post("/quotes", {"event_id": shop.event_id, "items": items})
    assert quoted.status == 422, quoted.body
    refusal = problem(quoted)
    assert refusal["code"] == "BELOW_MINIMUM_CHARGE"
    assert "$0.30" in refusal["detail"]
    assert "$0.50" in refusal["detail"]
    assert refusal["errors"][0]["field"] == "total"
    assert "50 cents" in refusal["errors"][0]["message"]

    _, token = shop.buyer()
    ordered = shop.order(token, {"tiny": 1})
    assert ordered.status == 422, ordered.body
    assert problem(ordered)["code"] == "BELOW_MINIMUM_CHARGE"
    assert shop.seats("tiny") == (10, 0, 0)
    assert intents_made == []
    # Nothing of the buyer's allowance was taken.
    assert shop.order(token, {"ga": 4}).status == 201


# -------------------------------------------------- failures around the hold
def stripe_refuses(*_args: Any, **_kwargs: Any) -> Any:
    raise stripe.InvalidRequestError("Amount must be at least $0.50 usd", param="amount")


def store_fails_at_the_hold(*_args: Any, **_kwargs: Any) -> Any:
    raise DependencyUnavailable("The inventory is busy; try again.")


@pytest.mark.parametrize("failure", ["stripe refuses the request", "the hold fails after Stripe"])
def test_a_failure_before_or_at_the_hold_leaves_nothing_held_and_the_key_retries(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, failure: str, intents_made: list[Any]
):
    """The PaymentIntent is made before the hold (its id is written in the hold's own
    transaction): Stripe refusing leaves no order at all; a hold that fails after it
    cancels that PaymentIntent, which nobody can pay."""
    voucher(shop, "ONCE", "percent", 1000, max_uses=1)
    _, token = shop.buyer()
    if failure == "stripe refuses the request":
        monkeypatch.setattr(stripe_payments, "create_payment_intent", stripe_refuses)
    else:
        monkeypatch.setattr(inventory_service, "hold", store_fails_at_the_hold)
    refused = shop.order(token, {"ga": 4}, key="after-hold-01", voucher_code="ONCE")
    assert refused.status == 503, refused.body
    assert problem(refused)["code"] == "DEPENDENCY_UNAVAILABLE"
    assert shop.seats("ga") == (10, 0, 0)

    if failure == "the hold fails after Stripe":  # the order's PaymentIntent can't be paid
        (orphan,) = intents_made
        assert stripe_client().v1.payment_intents.retrieve(orphan.id).status == "canceled"
    monkeypatch.setattr(inventory_service, "hold", REAL_HOLD)
    if failure == "stripe refuses the request":
        monkeypatch.setattr(stripe_payments, "create_payment_intent", REAL_CREATE)
    # Seats, the buyer's allowance (all four) and the voucher's one use are all there.
    retried = shop.order(token, {"ga": 4}, key="after-hold-01", voucher_code="ONCE")
    assert retried.status == 201, retried.body
    assert retried.json()["totals"]["discount_cents"] == 2000
    assert shop.seats("ga") == (6, 4, 0)


def test_a_retry_after_stripe_timed_out_creating_the_payment_is_not_a_reused_stripe_key(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    """Stripe refuses a key sent again with other parameters (the retry's order is a new
    one); localstripe does not, so this stand-in does, as Stripe documents."""
    sent: dict[str, str] = {}
    timeouts = iter([True])

    def stripe_with_keys(order: Any, *, idempotency_key: str) -> Any:
        if sent.setdefault(idempotency_key, order.id) != order.id:
            raise stripe.IdempotencyError("Keys can only be reused with the same parameters")
        intent = REAL_CREATE(order, idempotency_key=idempotency_key)
        if next(timeouts, False):  # created at Stripe, but the answer never came back
            raise DependencyUnavailable("The payment provider is unavailable; try again.")
        return intent

    monkeypatch.setattr(stripe_payments, "create_payment_intent", stripe_with_keys)
    _, token = shop.buyer()
    assert shop.order(token, {"ga": 2}, key="timed-out-01").status == 503
    assert shop.seats("ga") == (10, 0, 0)
    retried = shop.order(token, {"ga": 2}, key="timed-out-01")
    assert retried.status == 201, retried.body
    assert shop.seats("ga") == (8, 2, 0)


def test_a_failure_while_issuing_a_free_order_gives_its_seats_back(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, intents_made: list[Any]
):

    def keys_unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise DependencyUnavailable("The signing keys are unavailable.")

    real = issuance.new_tickets
    monkeypatch.setattr(issuance, "new_tickets", keys_unavailable)
    _, token = shop.buyer()
    refused = shop.order(token, {"free": 2}, key="free-fails-01")
    assert refused.status == 503, refused.body
    assert shop.seats("free") == (10, 0, 0)
    monkeypatch.setattr(issuance, "new_tickets", real)
    assert_paid_at_once(shop, shop.order(token, {"free": 2}, key="free-fails-01"), 2, intents_made)


def test_a_free_order_is_confirmed_by_e_mail_with_its_tickets(aws: AwsStack, shop: Shop):
    buyer = user_for_email("free@example.com", now=datetime.now(UTC), name="Ada Lovelace")
    token = aws.access_token(buyer.id, "buyer", email=buyer.email)
    placed = shop.order(token, {"free": 2})
    assert placed.status == 201, placed.body
    publish_outbox(aws)
    run_notifier(aws)

    (mail,) = mails_to("free@example.com", "Your tickets")
    assert {decode_png(png) for png in mail.images.values()} == {
        t["qr_token"] for t in placed.json()["tickets"]
    }
    assert format_money(0, "USD") in mail.text


def test_cancelling_an_event_with_free_orders_still_refunds_every_paid_one(
    aws: AwsStack, shop: Shop
):
    _, token = shop.buyer()
    assert shop.order(token, {"free": 2}).status == 201
    paid = [buy(shop, 1) for _ in range(2)]
    cancel(shop)
    announce(aws, shop.event_id)
    drain_cancellation(aws)

    progress = shop.stats()["cancellation_refunds"]
    assert progress["status"] == "completed"
    assert progress["orders_done"] == 3
    for holder in paid:
        refunded = order_store.get_order(holder.order_id)
        assert refunded is not None
        assert refunded.status is OrderStatus.REFUNDED
    assert progress["refunded_cents"] == sum(
        order_store.get_order(h.order_id).totals.total  # type: ignore[union-attr]
        for h in paid
    )


def test_cancelling_an_event_voids_its_free_tickets_as_it_voids_refunded_ones(
    aws: AwsStack, shop: Shop
):
    _, token = shop.buyer()
    placed = shop.order(token, {"free": 2})
    assert placed.status == 201, placed.body
    free_ids = [t["id"] for t in placed.json()["tickets"]]
    paid = buy(shop, 1)
    cancel(shop)
    announce(aws, shop.event_id)
    drain_cancellation(aws)

    for ticket_id in [*free_ids, paid.tickets[0]["id"]]:
        shown = shop.api.get(f"/tickets/{ticket_id}", token=shop.organizer_token)
        assert shown.json()["status"] == "void", shown.body
    announce(aws, shop.event_id)  # delivered again: nothing left to void, nothing fails
    drain_cancellation(aws)
    free_order = order_store.get_order(placed.json()["order_id"])
    assert free_order is not None
    assert free_order.status is OrderStatus.PAID  # nothing was paid, nothing to refund
