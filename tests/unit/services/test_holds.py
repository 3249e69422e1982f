"""Ending unpaid holds and sweeping overdue ones, on the fakes (no moto): what the
buyer and the next buyer notice — seats, allowance and voucher use back, the end
announced once, a payment that landed meanwhile honoured, one bad order never
stopping the sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from admitone.domain.catalog import DEFAULT_HOLD_MINUTES
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.orders import Order, OrderStatus, PaymentStatus
from admitone.services import hold_sweeper, holds
from admitone.services.hold_sweeper import Overdue
from admitone.services.orders import place_priced
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys

__all__ = ["signing_keys"]  # the fixture: a placed order is issued with it once paid

HOLD = timedelta(minutes=DEFAULT_HOLD_MINUTES)
LATER = NOW + HOLD + timedelta(minutes=1)


@pytest.fixture
def shop() -> Shop:
    shop = open_shop()
    shop.ticket_type("ga", price_cents=4000, capacity=10, shards=2)
    shop.voucher("FRIENDS")
    return shop


def _placed(shop: Shop, *, at: datetime = NOW, voucher: bool = True) -> Order:
    """An order of 2 placed by the real service at ``at``: seats held, allowance taken,
    voucher used, a PaymentIntent opened; its hold ends ``HOLD`` later."""
    return place_priced(
        shop.ports,
        a_buyer(),
        shop.priced({"ga": 2}, voucher_code="FRIENDS" if voucher else None),
        attendee_email=None,
        stripe_key=lambda operation: f"test-{operation}",
        now=at,
    ).order


def test_an_ended_hold_puts_seats_allowance_and_voucher_use_back(shop: Shop):
    order = _placed(shop)
    assert shop.seats("ga") == (8, 2, 0)
    outbox_before = len(shop.store.outbox.pending(limit=50))

    ended = holds.end_hold(
        shop.store, order, OrderStatus.CANCELLED, reason="cancelled_by_buyer", now=NOW
    )

    assert (ended.status, ended.status_reason) == (OrderStatus.CANCELLED, "cancelled_by_buyer")
    assert shop.store.orders.get(order.id) == ended
    assert shop.seats("ga") == (10, 0, 0)
    assert shop.store.orders.standing(order.buyer_id, order.event_id).tickets == 0
    voucher = shop.store.catalog.voucher(order.event_id, "FRIENDS")
    assert voucher is not None
    assert (voucher.uses, voucher.spent_cents) == (0, 0)
    announced = shop.store.outbox.pending(limit=50)[outbox_before:]
    assert [item.event_type for item in announced] == ["order.cancelled"]


def test_a_payment_that_landed_meanwhile_keeps_the_seats_sold_to_its_buyer(shop: Shop):
    order = _placed(shop)
    paid = replace(order, status=OrderStatus.PAID, version=order.version + 1)
    shop.store.orders.add(paid)  # the payment's transaction got there first
    outbox_before = len(shop.store.outbox.pending(limit=50))

    ended = holds.end_hold(shop.store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)

    assert ended == paid
    assert shop.seats("ga") == (8, 2, 0)
    assert len(shop.store.outbox.pending(limit=50)) == outbox_before


def test_a_hold_already_ended_is_not_released_twice(shop: Shop):
    order = _placed(shop)
    once = holds.end_hold(shop.store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)
    outbox_after_once = len(shop.store.outbox.pending(limit=50))

    again = holds.end_hold(shop.store, once, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)

    assert again == once
    assert shop.seats("ga") == (10, 0, 0)
    assert len(shop.store.outbox.pending(limit=50)) == outbox_after_once


def test_a_hold_ends_expired_or_cancelled_only(shop: Shop):
    with pytest.raises(ValueError, match="expired or cancelled"):
        holds.end_hold(shop.store, _placed(shop), OrderStatus.PAID, reason="x", now=NOW)


def test_the_sweeper_expires_overdue_holds_and_cancels_their_payment(shop: Shop):
    overdue = _placed(shop)
    not_yet = _placed(shop, at=LATER - HOLD + timedelta(minutes=1))

    assert hold_sweeper.sweep(shop.ports, LATER) == Counter({Overdue.EXPIRED: 1})

    assert shop.store.orders.by_id[overdue.id].status is OrderStatus.EXPIRED
    assert shop.payments.intents[overdue.payment_intent_id or ""].status is (PaymentStatus.CANCELED)
    assert shop.store.orders.by_id[not_yet.id].status is OrderStatus.PENDING_PAYMENT
    assert shop.seats("ga") == (8, 2, 0)
    assert hold_sweeper.sweep(shop.ports, LATER) == Counter()  # nothing twice


def test_a_payment_still_processing_is_left_to_the_payment_worker(shop: Shop):
    order = _placed(shop)
    shop.payments.settle(order.payment_intent_id or "", PaymentStatus.PROCESSING)

    assert hold_sweeper.sweep(shop.ports, LATER) == Counter({Overdue.PAYING: 1})
    assert shop.store.orders.by_id[order.id].status is OrderStatus.PENDING_PAYMENT


def test_one_order_failing_does_not_stop_the_others(shop: Shop):
    first, second = _placed(shop), _placed(shop, at=NOW - timedelta(minutes=1), voucher=False)
    shop.payments.fail_next(error=DependencyUnavailable("Stripe is down"))

    outcomes = hold_sweeper.sweep(shop.ports, LATER)

    assert outcomes == Counter({Overdue.FAILED: 1, Overdue.EXPIRED: 1})
    statuses = sorted(shop.store.orders.by_id[i].status for i in (first.id, second.id))
    assert statuses == [OrderStatus.EXPIRED, OrderStatus.PENDING_PAYMENT]
    assert hold_sweeper.sweep(shop.ports, LATER) == Counter({Overdue.EXPIRED: 1})  # the next run


def test_a_bug_in_one_order_is_reported_and_the_sweep_goes_on(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    first, second = _placed(shop), _placed(shop, at=NOW - timedelta(minutes=1), voucher=False)
    reported: list[BaseException] = []
    monkeypatch.setattr(hold_sweeper, "report_error", reported.append)
    shop.payments.fail_next(error=RuntimeError("a bug"))

    outcomes = hold_sweeper.sweep(shop.ports, LATER)

    assert outcomes == Counter({Overdue.FAILED: 1, Overdue.EXPIRED: 1})
    assert [str(error) for error in reported] == ["a bug"]
    statuses = sorted(shop.store.orders.by_id[i].status for i in (first.id, second.id))
    assert statuses == [OrderStatus.EXPIRED, OrderStatus.PENDING_PAYMENT]
