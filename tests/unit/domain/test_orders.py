"""The order and payment state machines, the hold's clock and the per-buyer limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import LimitExceeded
from admitone.domain.inventory import Allocation
from admitone.domain.orders import (
    ORDER_TRANSITIONS,
    PER_USER_EVENT_LIMIT,
    BuyerStanding,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    PaymentMismatch,
    PaymentStatus,
    SuccessOutcome,
    can_transition,
    check_buyer_limits,
    ended_unpaid,
    hold_expiry,
    on_payment_succeeded,
    payment_mismatches,
    payment_moves_forward,
    per_user_limit,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

ORDER = Order(
    id="ord_1",
    number="A1-2026-000001",
    buyer_id="usr_1",
    event_id="evt_1",
    status=OrderStatus.PENDING_PAYMENT,
    lines=(OrderLine("tty_1", 2, 5000),),
    totals=OrderTotals("USD", 10000, 0, 820, 0, (), 11820),
    allocation=Allocation(()),
    hold_expires_at=NOW + timedelta(minutes=15),
    created_at=NOW,
)


# ------------------------------------------------------------ order states
def test_every_state_is_in_the_machine_and_a_refunded_order_only_reopens_by_a_failed_refund():
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    assert ORDER_TRANSITIONS[OrderStatus.REFUNDED] == {
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.PAID,
        OrderStatus.CHARGED_BACK,  # a dispute lost after the refund
    }
    assert ORDER_TRANSITIONS[OrderStatus.CHARGED_BACK] == frozenset()


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, True),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED, True),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, True),
        (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, True),
        (OrderStatus.PAID, OrderStatus.ON_HOLD, True),
        (OrderStatus.ON_HOLD, OrderStatus.PAID, True),
        (OrderStatus.EXPIRED, OrderStatus.PAID, True),  # a late payment re-takes its seats
        (OrderStatus.PAID, OrderStatus.PENDING_PAYMENT, False),
        (OrderStatus.EXPIRED, OrderStatus.PENDING_PAYMENT, False),
        (OrderStatus.REFUNDED, OrderStatus.PENDING_PAYMENT, False),
        (OrderStatus.REFUNDED, OrderStatus.ON_HOLD, False),
        (OrderStatus.PAID, OrderStatus.EXPIRED, False),
    ],
)
def test_orders_move_only_along_the_machine(current, target, allowed):
    assert can_transition(current, target) is allowed


# ---------------------------------------------------------- payment states
@pytest.mark.parametrize(
    ("current", "new", "forward"),
    [
        (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.SUCCEEDED, True),
        (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.PROCESSING, True),
        (PaymentStatus.REQUIRES_ACTION, PaymentStatus.REQUIRES_PAYMENT_METHOD, True),
        (PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED, True),
        (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_PAYMENT_METHOD, True),  # declined
        (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION, False),
        (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING, False),
        (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, False),
        (PaymentStatus.CANCELED, PaymentStatus.SUCCEEDED, False),
        (PaymentStatus.REQUIRES_CAPTURE, PaymentStatus.PROCESSING, False),
    ],
)
def test_a_payment_never_moves_backwards(current, new, forward):
    assert payment_moves_forward(current, new) is forward


# ------------------------------------------------------------------ limits
@pytest.mark.parametrize(
    ("sold", "capacity", "limit"),
    [(0, 100, 4), (70, 100, 4), (71, 100, 3), (90, 100, 3), (91, 100, 2), (0, 0, 4)],
)
def test_the_per_buyer_limit_tightens_as_an_event_sells_out(sold, capacity, limit):
    assert per_user_limit(sold, capacity) == limit


def test_a_buyer_within_the_limit_may_order():
    check_buyer_limits(BuyerStanding(tickets=2), 2, limit=PER_USER_EVENT_LIMIT, now=NOW)


def test_a_buyer_over_the_limit_is_told_how_many_are_left():
    with pytest.raises(LimitExceeded) as refused:
        check_buyer_limits(BuyerStanding(tickets=3), 2, limit=4, now=NOW)
    assert "1 left" in refused.value.detail
    assert refused.value.errors[0].code == "PER_BUYER_LIMIT"


def test_a_buyer_cooling_down_after_a_purchase_is_refused_until_it_ends():
    standing = BuyerStanding(tickets=1, cooldown_until=NOW + timedelta(minutes=10))
    with pytest.raises(LimitExceeded) as refused:
        check_buyer_limits(standing, 1, limit=4, now=NOW)
    assert refused.value.errors[0].code == "PURCHASE_COOLDOWN"
    check_buyer_limits(standing, 1, limit=4, now=NOW + timedelta(minutes=10))


# ------------------------------------------------------------------- holds
def test_a_hold_lasts_the_events_minutes():
    assert hold_expiry(NOW, 15) == NOW + timedelta(minutes=15)


def test_a_hold_is_live_until_it_expires_and_reads_expired_after():
    assert ORDER.hold_live(NOW)
    assert ORDER.effective_status(NOW) is OrderStatus.PENDING_PAYMENT
    expiry = ORDER.hold_expires_at
    assert not ORDER.hold_live(expiry)
    assert ORDER.effective_status(expiry) is OrderStatus.EXPIRED
    assert not replace(ORDER, hold_released=True).hold_live(NOW)
    paid = replace(ORDER, status=OrderStatus.PAID)
    assert not paid.hold_live(NOW)
    assert paid.effective_status(expiry) is OrderStatus.PAID


def test_an_orders_quantity_sums_its_lines():
    assert replace(ORDER, lines=(OrderLine("a", 2, 1), OrderLine("b", 1, 1))).quantity == 3


# ----------------------------------------------------------- a paid intent
def test_a_payment_matching_the_order_has_no_mismatch():
    assert payment_mismatches(ORDER, amount=11820, currency="usd", metadata_order_id="ord_1") == ()


def test_every_mismatch_is_named():
    assert payment_mismatches(ORDER, amount=1, currency="eur", metadata_order_id=None) == (
        PaymentMismatch.AMOUNT,
        PaymentMismatch.CURRENCY,
        PaymentMismatch.ORDER,
    )


@pytest.mark.parametrize(
    ("status", "released", "mismatches", "outcome"),
    [
        (OrderStatus.PENDING_PAYMENT, False, (), SuccessOutcome.ISSUE),
        (OrderStatus.EXPIRED, True, (), SuccessOutcome.RETAKE),
        (OrderStatus.CANCELLED, True, (), SuccessOutcome.RETAKE),
        (OrderStatus.PENDING_PAYMENT, False, (PaymentMismatch.AMOUNT,), SuccessOutcome.REVIEW),
        (OrderStatus.PAID, False, (), SuccessOutcome.ALREADY_DONE),
        (OrderStatus.PAID, False, (PaymentMismatch.AMOUNT,), SuccessOutcome.ALREADY_DONE),
        (OrderStatus.REFUNDED, True, (), SuccessOutcome.ALREADY_DONE),
        (OrderStatus.ON_HOLD, False, (), SuccessOutcome.ALREADY_DONE),
    ],
)
def test_what_a_succeeded_payment_does_to_its_order(status, released, mismatches, outcome):
    order = replace(ORDER, status=status, hold_released=released)
    assert on_payment_succeeded(order, mismatches) is outcome


def test_a_pending_order_past_its_hold_but_not_swept_is_issued_from_its_hold():
    # Its seats are still held for it: nobody else could have taken them.
    late = NOW + timedelta(hours=1)
    assert ORDER.effective_status(late) is OrderStatus.EXPIRED
    assert on_payment_succeeded(ORDER, ()) is SuccessOutcome.ISSUE


def test_an_order_ends_unpaid_expired_or_cancelled_with_its_seats_released():
    ended = ended_unpaid(ORDER, OrderStatus.EXPIRED, reason="hold_expired")
    assert (ended.status, ended.hold_released, ended.status_reason) == (
        OrderStatus.EXPIRED,
        True,
        "hold_expired",
    )
    assert ended.version == ORDER.version + 1
    with pytest.raises(ValueError, match="expired or cancelled"):
        ended_unpaid(ORDER, OrderStatus.PAID, reason="x")
    with pytest.raises(ValueError, match="awaiting payment"):
        ended_unpaid(ended, OrderStatus.CANCELLED, reason="x")
