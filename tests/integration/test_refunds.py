"""Refunds (RULES §9) through the API and Stripe: who may refund what, exactly each
ticket's share, tickets void at once, never more than was paid, once per key, and
Stripe's word on a refund (failed reopens the amount); the ledger balances throughout."""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from admitone.adapters import stripe_payments
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.domain.accounts import Principal
from admitone.domain.checkin import ScanResult
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.domain.money import allocate, percent_of
from admitone.domain.payments import ProviderRefund
from admitone.domain.refunds import (
    RefundAsk,
    RefundExceedsRemaining,
    RefundNotAllowed,
    RefundStatus,
    paid_components,
    refunded_components,
    refunded_total,
)
from admitone.services import refunds
from admitone.services.checkin import scan_ticket
from admitone.services.gate_access import authenticate_device
from admitone.services.reconcile import reconcile
from admitone.services.webhooks import Clock, dispatch
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Gates, Holder, buy, gate_crew, tonight_shop
from tests.integration.money_kit import (
    ask_refund,
    assert_ledger_balances,
    balance,
    ledger_page,
    order,
    refunded_on_stripe,
    stripe_refunds,
    stripe_webhook,
)
from tests.integration.payments_kit import outbox_of
from tests.integration.shop import Shop, open_shop
from tests.integration.test_cancellation_refunds import announce, cancel
from tests.integration.test_cancellation_refunds import drain as run_cancellation_refunds
from tests.integration.test_notifier import (
    bought_by_account,
    mails_to,
    publish_outbox,
    run_notifier,
)
from tests.integration.test_webhooks import Receiver, bus_event, subscribe

PRICE = 5000  # open_shop's GA ticket, in Nashville (TN 700 + local 225 + entertainment 100)


@pytest.fixture
def shop(api: Api, aws: AwsStack):
    return open_shop(api, aws)


def test_a_buyer_refunds_one_of_three_tickets_and_gets_exactly_its_share(shop):
    holder = buy(shop, 3)
    paid = order(holder.order_id)
    refunded_ticket = holder.tickets[0]["id"]

    response = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [refunded_ticket]}
    )

    assert response.status == 201, response.body
    refund = response.json()
    # The ticket's price and its share of each tax line (largest remainder, first ticket
    # first); the platform and NFT fees are kept.
    tax_share = sum(allocate(line["amount"], [PRICE] * 3)[0] for line in paid.totals.taxes)
    assert refund["amount_cents"] == PRICE + tax_share
    assert refund["status"] == "succeeded"
    assert refunded_on_stripe(holder.order_id) == refund["amount_cents"]

    seen = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    assert seen["status"] == "partially_refunded"
    assert seen["refunded_cents"] == refund["amount_cents"]
    statuses = {ticket["id"]: ticket["status"] for ticket in seen["tickets"]}
    assert statuses == {
        refunded_ticket: "void",
        holder.tickets[1]["id"]: "valid",
        holder.tickets[2]["id"]: "valid",
    }

    # The venue's ledger shows the reversal of that ticket's price, and its share of the
    # platform fee (RULES §10: proceeds are price less discount less fee) given back.
    kinds = {txn["kind"]: txn for txn in ledger_page(shop)}
    assert {"sale", "platform_fee", "refund", "platform_fee_returned"} <= set(kinds)
    venue_entries = [
        e for e in kinds["refund"]["entries"] if e["account"].startswith("venue_pending:")
    ]
    assert [e["amount_cents"] for e in venue_entries] == [PRICE]
    fee = percent_of(3 * PRICE, 820)
    fee_back = fee * PRICE // (3 * PRICE)
    assert balance(shop)["pending_cents"] == (3 * PRICE - fee) - (PRICE - fee_back)
    assert_ledger_balances()

    # Its seat is back on sale, and the buyer may buy one more again.
    assert shop.seats() == (98, 0, 2)
    assert order_store.buyer_standing(holder.user_id, shop.event_id).tickets == 2
    row = shop.stats()["ticket_types"][0]
    assert (row["sold"], row["gross_cents"], row["fee_cents"]) == (2, 2 * PRICE, fee - fee_back)


def test_refunding_each_ticket_in_turn_refunds_exactly_the_price_and_tax_paid(shop):
    holder = buy(shop, 3)
    paid = order(holder.order_id).totals
    amounts = []
    for ticket in holder.tickets:
        response = ask_refund(
            shop.api, holder.order_id, holder.token, {"ticket_ids": [ticket["id"]]}
        )
        assert response.status == 201, response.body
        amounts.append(response.json()["amount_cents"])

    taxes = sum(line["amount"] for line in paid.taxes)
    assert sum(amounts) == paid.subtotal - paid.discount + taxes
    assert shop.seats() == (100, 0, 0)  # each seat back once, from the shard it came from
    assert order(holder.order_id).status.value == "partially_refunded"  # the fees are kept
    again = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[0]["id"]]}
    )
    assert again.status == 422
    assert again.json()["errors"][0]["code"] == "TICKET_NOT_REFUNDABLE"
    assert_ledger_balances()


def test_after_a_40_percent_amount_refund_a_ticket_refund_returns_only_what_is_left_of_it(shop):
    holder = buy(shop, 2)
    paid = order(holder.order_id).totals
    by_amount = ask_refund(
        shop.api, holder.order_id, shop.organizer_token, {"amount_cents": paid.total * 40 // 100}
    )
    assert by_amount.status == 201, by_amount.body

    first = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[0]["id"]]}
    )

    assert first.status == 201, first.body
    refund = first.json()
    # At most the ticket's share of the order less 20 % of the order ...
    assert refund["amount_cents"] <= paid.total // 2 - paid.total * 20 // 100
    # ... namely of its price and of each tax its share less its 40 % part (a cent of
    # rounding a part), and Stripe gave back just that.
    shares = [PRICE, *(allocate(line["amount"], [PRICE] * 2)[0] for line in paid.taxes)]
    expected = sum(percent_of(part, 6000) for part in shares)
    assert abs(refund["amount_cents"] - expected) <= len(shares)
    on_stripe = {r.metadata["refund_id"]: int(r.amount) for r in stripe_refunds(holder.order_id)}
    assert on_stripe[refund["refund_id"]] == refund["amount_cents"]
    # The venue's pending money gives back only what is left of that ticket's price.
    booked = next(
        txn
        for txn in ledger_page(shop)
        if txn["kind"] == "refund" and txn["refs"]["refund_id"] == refund["refund_id"]
    )
    venue = [e["amount_cents"] for e in booked["entries"] if e["account"].startswith("venue_")]
    assert len(venue) == 1
    assert abs(venue[0] - percent_of(PRICE, 6000)) <= 1

    # The other ticket gets exactly the rest of price and tax: no cent goes back twice.
    last = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[1]["id"]]}
    )
    assert last.status == 201, last.body
    after = order(holder.order_id)
    refunded, kept = refunded_components(after), paid_components(after)
    assert (refunded.price, refunded.taxes) == (kept.price, kept.taxes)
    assert refunded_on_stripe(holder.order_id) == refunded.total < paid.total  # fees kept
    assert after.status.value == "partially_refunded"
    assert_ledger_balances()


def test_the_organizer_refunds_everything_left_fees_included_by_default(shop):
    holder = buy(shop, 2)
    ask_refund(shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[0]["id"]]})

    response = ask_refund(shop.api, holder.order_id, shop.organizer_token, {"reason": "duplicate"})

    assert response.status == 201, response.body
    assert refunded_on_stripe(holder.order_id) == order(holder.order_id).totals.total
    seen = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    assert seen["status"] == "refunded"
    assert {t["status"] for t in seen["tickets"]} == {"void"}
    assert balance(shop)["pending_cents"] == 0
    assert_ledger_balances()


def test_a_refund_over_what_is_left_is_refused_and_changes_nothing(shop):
    holder = buy(shop, 1)
    total = order(holder.order_id).totals.total
    ask_refund(shop.api, holder.order_id, shop.organizer_token, {"amount_cents": total - 100})

    response = ask_refund(shop.api, holder.order_id, shop.organizer_token, {"amount_cents": 101})

    assert response.status == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "REFUND_EXCEEDS_REMAINING"
    assert problem["errors"][0]["field"] == "amount_cents"
    assert refunded_on_stripe(holder.order_id) == total - 100
    assert (
        ask_refund(shop.api, holder.order_id, shop.organizer_token, {"amount_cents": 100}).status
        == 201
    )
    assert order(holder.order_id).status.value == "refunded"


def test_buyers_refund_by_ticket_only_and_others_do_not_learn_the_order_exists(shop):
    holder = buy(shop, 1)
    by_amount = ask_refund(shop.api, holder.order_id, holder.token, {"amount_cents": 100})
    assert by_amount.status == 403
    assert by_amount.json()["code"] == "REFUND_NOT_ALLOWED"
    assert by_amount.json()["errors"][0]["field"] == "amount_cents"

    _, stranger = shop.buyer()
    assert ask_refund(shop.api, holder.order_id, stranger).status == 404
    malformed = ask_refund(shop.api, "ord_nope", holder.token)  # no order has that shape
    assert malformed.status == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["path.order_id"]
    assert stripe_refunds(holder.order_id) == []


@pytest.mark.parametrize(
    ("days_after_payment", "why"),
    [(31, "refund window closed"), (10, "event started")],
    ids=["after-30-days", "after-the-event-started"],
)
def test_the_buyer_policy_refuses_late_refunds_with_the_reason(shop, days_after_payment, why):
    holder = buy(shop, 1)
    paid_at = order(holder.order_id).paid_at
    assert paid_at is not None
    with pytest.raises(RefundNotAllowed) as refused:
        refunds.request_refund(
            holder.order_id,
            holder.principal,
            RefundAsk(),
            request_key="late",
            now=paid_at + timedelta(days=days_after_payment),
        )
    assert refused.value.errors[0].message == why
    assert stripe_refunds(holder.order_id) == []


def test_the_same_idempotency_key_refunds_once(shop):
    holder = buy(shop, 2)
    body = {"ticket_ids": [holder.tickets[0]["id"]]}
    first = ask_refund(shop.api, holder.order_id, holder.token, body, key="same-key")
    second = ask_refund(shop.api, holder.order_id, holder.token, body, key="same-key")
    assert first.status == second.status == 201
    assert second.json()["refund_id"] == first.json()["refund_id"]
    assert len(stripe_refunds(holder.order_id)) == 1


def test_a_refund_stripe_reports_failed_is_refundable_again(aws, shop):
    holder = buy(shop, 2)
    total = order(holder.order_id).totals.total
    refund = ask_refund(
        shop.api, holder.order_id, shop.organizer_token, {"amount_cents": 1000}
    ).json()
    stripe_refund = stripe_refunds(holder.order_id)[0].to_dict()

    stripe_webhook(aws, "refund.updated", {**stripe_refund, "status": "failed"})
    stripe_webhook(aws, "refund.updated", {**stripe_refund, "status": "failed"})  # again

    assert (
        money_store.get_refund(holder.order_id, refund["refund_id"]).status is RefundStatus.FAILED
    )
    reopened = order(holder.order_id)
    assert reopened.status.value == "paid"
    assert (
        shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()["refunded_cents"] == 0
    )
    assert_ledger_balances()
    whole = ask_refund(shop.api, holder.order_id, shop.organizer_token)
    assert whole.json()["amount_cents"] == total
    assert_ledger_balances()


def test_a_buyer_whose_ticket_refund_failed_asks_again_and_gets_it_once(aws, shop):
    holder = buy(shop, 2)
    ticket = holder.tickets[0]["id"]
    first = ask_refund(shop.api, holder.order_id, holder.token, {"ticket_ids": [ticket]})
    assert first.status == 201, first.body
    assert shop.seats() == (99, 0, 1)  # its seat back on sale
    made = stripe_refunds(holder.order_id)[0].to_dict()
    stripe_webhook(aws, "refund.updated", {**made, "status": "failed"})
    assert order(holder.order_id).status.value == "paid"

    again = ask_refund(shop.api, holder.order_id, holder.token, {"ticket_ids": [ticket]})

    assert again.status == 201, again.body
    refund = again.json()
    assert (refund["amount_cents"], refund["status"]) == (first.json()["amount_cents"], "succeeded")
    paid_again = [
        r for r in stripe_refunds(holder.order_id) if r.metadata["refund_id"] == refund["refund_id"]
    ]
    assert [(r.status, r.amount) for r in paid_again] == [("succeeded", refund["amount_cents"])]
    assert shop.seats() == (99, 0, 1)  # the seat went back on sale once, not twice
    assert order_store.buyer_standing(holder.user_id, shop.event_id).tickets == 1
    seen = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    assert seen["status"] == "partially_refunded"
    assert seen["refunded_cents"] == refund["amount_cents"]
    twice = ask_refund(shop.api, holder.order_id, holder.token, {"ticket_ids": [ticket]})
    assert twice.status == 422
    assert twice.json()["errors"][0]["code"] == "TICKET_NOT_REFUNDABLE"
    assert_ledger_balances()


def test_a_failed_refund_is_told_to_the_buyer_by_mail_and_to_the_organizers_webhook(aws, shop):
    receiver = Receiver()
    try:
        endpoint = subscribe(shop, receiver.url, ["refund.failed"])
        holder = bought_by_account(shop, "refund-failed@example.com", 2)
        body = {"ticket_ids": [holder.tickets[0]["id"]]}
        refund = ask_refund(shop.api, holder.order_id, holder.token, body).json()
        made = stripe_refunds(holder.order_id)[0].to_dict()
        stripe_webhook(aws, "refund.updated", {**made, "status": "failed"})
        stripe_webhook(aws, "charge.refund.updated", {**made, "status": "failed"})  # again

        assert outbox_of(holder.order_id).count("refund.failed") == 1
        publish_outbox(aws)
        run_notifier(aws)
        (told,) = mails_to("refund-failed@example.com", "Your refund of order")
        assert "could not be paid" in told.subject
        amount = f"${refund['amount_cents'] // 100:,}.{refund['amount_cents'] % 100:02d}"
        assert amount in told.text
        assert "ask for it again" in told.text

        event = bus_event(aws, holder.order_id, "refund.failed")
        aws.use_function("WebhookDispatcherFunction")
        assert (
            dispatch(
                event, Clock(time_left=lambda: timedelta(seconds=30)), envelopes=ports().envelopes
            )
            == 1
        )
        headers, delivered = receiver.received[-1]
        announced = Webhook(endpoint["secret"]).verify(delivered, headers)
        assert announced["type"] == "refund.failed"
        assert announced["data"] == {
            "order_id": holder.order_id,
            "event_id": shop.event_id,
            "refund_id": refund["refund_id"],
            "amount": refund["amount_cents"],
            "currency": "USD",
            "reason": "requested_by_customer",
        }
    finally:
        receiver.server.shutdown()


def test_a_cancelled_events_refund_that_fails_is_asked_again_up_to_three_times_in_all(aws, shop):
    holder = buy(shop, 2)
    total = order(holder.order_id).totals.total
    cancel(shop)
    announce(aws, shop.event_id)
    run_cancellation_refunds(aws)
    for attempt in range(1, 4):
        asked = money_store.refunds_of_order(holder.order_id)
        assert len(asked) == attempt
        (standing,) = [r for r in asked if r.status is not RefundStatus.FAILED]
        assert (standing.amount, standing.reason.value) == (total, "event_cancelled")
        (made,) = [r for r in stripe_refunds(holder.order_id) if r.id == standing.stripe_refund_id]
        stripe_webhook(aws, "refund.updated", {**made.to_dict(), "status": "failed"})

    # Three failed: no fourth refund, even when Stripe repeats its last word.
    stripe_webhook(aws, "refund.updated", {**made.to_dict(), "status": "failed"})
    assert len(stripe_refunds(holder.order_id)) == 3
    assert {r.status for r in money_store.refunds_of_order(holder.order_id)} == {
        RefundStatus.FAILED
    }
    assert outbox_of(holder.order_id).count("refund.failed") == 3
    assert order(holder.order_id).status.value == "paid"  # surfaced: the organizer's to refund
    assert_ledger_balances()
    by_organizer = ask_refund(shop.api, holder.order_id, shop.organizer_token)
    assert (by_organizer.status, by_organizer.json()["amount_cents"]) == (201, total)
    assert shop.seats() == (98, 0, 2)  # a cancelled event's seats never go back on sale
    assert_ledger_balances()


def test_charge_refunded_confirms_a_refund_stripe_had_left_pending(aws, shop, monkeypatch):
    holder = buy(shop, 1)
    real = stripe_payments.refund_payment_intent
    answers = iter(["pending"])

    def pending_first(*args, **kwargs):
        made = real(*args, **kwargs)
        return ProviderRefund(made.id, next(answers, made.status), made.metadata)

    monkeypatch.setattr(stripe_payments, "refund_payment_intent", pending_first)
    refund = ask_refund(shop.api, holder.order_id, shop.organizer_token).json()
    assert refund["status"] == "pending"
    assert order(holder.order_id).status.value == "refunded"  # counted while pending

    made = stripe_refunds(holder.order_id)[0].to_dict()
    stripe_webhook(
        aws, "charge.refunded", {"id": "ch_1", "object": "charge", "refunds": {"data": [made]}}
    )

    assert (
        money_store.get_refund(holder.order_id, refund["refund_id"]).status
        is RefundStatus.SUCCEEDED
    )
    kinds = [txn["kind"] for txn in ledger_page(shop)]
    assert kinds.count("refund_paid") == 1
    assert_ledger_balances()


def test_a_refund_stripe_could_not_take_is_sent_once_by_reconciliation(aws, shop, monkeypatch):
    holder = buy(shop, 1)
    real = stripe_payments.refund_payment_intent

    def away(*args, **kwargs):
        raise DependencyUnavailable("Stripe is unavailable.")

    monkeypatch.setattr(stripe_payments, "refund_payment_intent", away)
    refund = ask_refund(shop.api, holder.order_id, shop.organizer_token).json()
    assert refund["status"] == "pending"
    assert stripe_refunds(holder.order_id) == []
    monkeypatch.setattr(stripe_payments, "refund_payment_intent", real)  # Stripe is back

    aws.use_function("ReconcileFunction")
    later = order(holder.order_id).paid_at + timedelta(minutes=11)
    assert reconcile(ports(), later)["unsent_refunds_sent"] == 1
    assert reconcile(ports(), later)["unsent_refunds_sent"] == 0
    assert refunded_on_stripe(holder.order_id) == order(holder.order_id).totals.total
    assert (
        money_store.get_refund(holder.order_id, refund["refund_id"]).status
        is RefundStatus.SUCCEEDED
    )
    assert_ledger_balances()


@pytest.mark.race
def test_twenty_concurrent_refunds_of_one_order_never_refund_more_than_was_paid(shop):
    """20 refunds of 30 % each, different keys, from 20 threads (through the service, as
    in test_onsale_race: the concurrency under test is the table's)."""
    holder = buy(shop, 3)
    total = order(holder.order_id).totals.total
    share = total * 3 // 10  # three fit, a fourth does not
    admin = Principal(
        user_id=new_id(Prefix.USER), roles=frozenset({Role.ADMIN}), email="a@example.com"
    )
    start = threading.Barrier(20)

    def refund_once(_: int) -> str:
        start.wait()
        try:
            refunds.request_refund(
                holder.order_id, admin, RefundAsk(amount=share), request_key=str(uuid.uuid4())
            )
        except RefundExceedsRemaining:
            return "refused"
        return "refunded"

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(refund_once, range(20)))

    assert outcomes.count("refunded") == 3
    assert outcomes.count("refused") == 17
    assert refunded_on_stripe(holder.order_id) == 3 * share <= total
    assert refunded_total(order(holder.order_id)) == 3 * share
    assert_ledger_balances()


def test_the_refund_sample_event_gets_404_for_an_unknown_order(aws):
    response = aws.invoke_sample("RefundOrderFunction", "unknown")
    assert response["statusCode"] == 404, response.get("body")


def test_stripe_refunds_of_no_refund_of_ours_are_ignored(aws):
    aws.use_function("PaymentEventsFunction")
    stranger = ProviderRefund(
        id="re_x", status="succeeded", metadata={"order_id": new_id(Prefix.ORDER)}
    )
    assert refunds.apply_stripe_refund(stranger, now=datetime.now(UTC)) is None


def test_an_organizer_refund_needs_no_body_at_all(shop):
    holder = buy(shop, 1)
    response = shop.api.post(
        f"/orders/{holder.order_id}/refunds",
        None,
        token=shop.organizer_token,
        headers={"Idempotency-Key": "no-body-refund"},
    )
    assert response.status == 201, response.body
    assert response.json()["amount_cents"] == order(holder.order_id).totals.total


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": "ten"}, "amount_cents"),
        ({"reason": "changed_my_mind"}, "reason"),
        ({"ticket_ids": []}, "ticket_ids"),
        ({"refund_everything": True}, "refund_everything"),
    ],
    ids=["zero", "not-a-number", "unknown-reason", "no-tickets", "unknown-field"],
)
def test_bad_refund_input_is_a_problem_naming_the_field_and_refunds_nothing(shop, body, field):
    holder = buy(shop, 1)
    response = ask_refund(shop.api, holder.order_id, shop.organizer_token, body)
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert any(error["field"].endswith(field) for error in problem["errors"]), problem
    assert stripe_refunds(holder.order_id) == []
    assert order(holder.order_id).status.value == "paid"


# ------------------------------------------------------- tickets used at the gate
@pytest.fixture
def doors_open(api: Api, aws: AwsStack) -> Gates:
    """An event whose gates are open (it starts in five hours, so buyers may still refund)."""
    return gate_crew(tonight_shop(api, aws))


def admit(crew: Gates, holder: Holder, index: int) -> ScanResult:
    return scan_ticket(
        crew.shop.event_id,
        holder.tickets[index]["qr_token"],
        caller=crew.scanner,
        device=authenticate_device(crew.devices[0]),
        gate="North",
    ).result


def ticket_statuses(shop: Shop, holder: Holder) -> list[str]:
    seen = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    return [ticket["status"] for ticket in seen["tickets"]]


def test_a_buyer_cannot_refund_a_ticket_admitted_at_the_gate_and_nothing_changes(doors_open):
    shop = doors_open.shop
    holder = buy(shop, 2)
    assert admit(doors_open, holder, 0) is ScanResult.ADMITTED
    seats = shop.seats()

    response = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[0]["id"]]}
    )

    assert response.status == 403, response.body
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "REFUND_NOT_ALLOWED"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("ticket_ids[0]", "TICKET_USED")
    ]
    assert stripe_refunds(holder.order_id) == []
    assert order(holder.order_id).status.value == "paid"
    assert ticket_statuses(shop, holder) == ["valid", "valid"]
    assert shop.seats() == seats

    # Its unused sibling is still the buyer's to refund, and its seat goes back on sale.
    sibling = ask_refund(
        shop.api, holder.order_id, holder.token, {"ticket_ids": [holder.tickets[1]["id"]]}
    )
    assert sibling.status == 201, sibling.body
    assert ticket_statuses(shop, holder) == ["valid", "void"]
    assert shop.seats() == (seats[0] + 1, 0, seats[2] - 1)


def test_a_buyer_refunding_everything_gets_back_only_the_unused_tickets(doors_open):
    shop = doors_open.shop
    holder = buy(shop, 2)
    assert admit(doors_open, holder, 1) is ScanResult.ADMITTED

    response = ask_refund(shop.api, holder.order_id, holder.token, {})

    assert response.status == 201, response.body
    assert ticket_statuses(shop, holder) == ["void", "valid"]
    again = ask_refund(shop.api, holder.order_id, holder.token, {})
    assert again.status == 403, again.body
    assert again.json()["errors"][0]["code"] == "TICKET_USED"
    assert refunded_on_stripe(holder.order_id) == response.json()["amount_cents"]


def test_an_organizer_refunds_a_used_ticket_but_its_seat_never_goes_back_on_sale(doors_open):
    shop = doors_open.shop
    holder = buy(shop, 2)
    assert admit(doors_open, holder, 0) is ScanResult.ADMITTED
    available, _, sold = shop.seats()

    response = ask_refund(shop.api, holder.order_id, shop.organizer_token, {})

    assert response.status == 201, response.body
    assert refunded_on_stripe(holder.order_id) == order(holder.order_id).totals.total
    assert order(holder.order_id).status.value == "refunded"
    assert ticket_statuses(shop, holder) == ["void", "void"]
    # The unused ticket's seat is on sale again; the one its holder sits in is not.
    assert shop.seats() == (available + 1, 0, sold - 1)
    assert order_store.buyer_standing(holder.user_id, shop.event_id).tickets == 1
    assert admit(doors_open, holder, 1) is ScanResult.VOID
    assert_ledger_balances()


def test_a_scan_landing_between_a_refunds_read_and_its_write_keeps_the_seat_off_sale(
    doors_open, monkeypatch
):
    """The admission commits after the refund judged the ticket unused: the refund's
    write fails on the scan count, reads again and refunds without restocking."""
    shop = doors_open.shop
    holder = buy(shop, 1)
    available, _, sold = shop.seats()
    read = ticket_store.tickets_by_id
    scanned: list[ScanResult] = []

    def read_then_scan(ticket_ids):
        found = read(ticket_ids)
        if not scanned:
            scanned.append(admit(doors_open, holder, 0))
        return found

    monkeypatch.setattr(ticket_store, "tickets_by_id", read_then_scan)
    refund = refunds.request_refund(
        holder.order_id,
        Principal(
            user_id=new_id(Prefix.USER), roles=frozenset({Role.ADMIN}), email="a@example.com"
        ),
        RefundAsk(ticket_ids=(holder.tickets[0]["id"],)),
        request_key="race-with-the-gate",
    )

    assert scanned == [ScanResult.ADMITTED]
    assert refund.amount > 0
    assert ticket_statuses(shop, holder) == ["void"]
    assert shop.seats() == (available, 0, sold)


@pytest.mark.race
def test_scans_racing_an_organizer_refund_never_put_an_admitted_seat_back_on_sale(doors_open):
    """Four gates scan an order's four tickets while the organizer refunds it in full, on
    real threads released at once: each seat back on sale is one nobody was let in on."""
    shop = doors_open.shop
    holder = buy(shop, 4)
    available, _, sold = shop.seats()
    admin = Principal(
        user_id=new_id(Prefix.USER), roles=frozenset({Role.ADMIN}), email="a@example.com"
    )
    start = threading.Barrier(5)

    def act(index: int) -> ScanResult | int:
        start.wait()
        if index == 4:
            return refunds.request_refund(
                holder.order_id, admin, RefundAsk(), request_key="refund-at-the-door"
            ).amount
        return admit(doors_open, holder, index)

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(act, range(5)))

    admitted = outcomes[:4].count(ScanResult.ADMITTED)
    assert outcomes[4] == order(holder.order_id).totals.total
    assert set(outcomes[:4]) <= {ScanResult.ADMITTED, ScanResult.VOID}
    assert shop.seats() == (available + 4 - admitted, 0, sold - 4 + admitted)
    assert_ledger_balances()
