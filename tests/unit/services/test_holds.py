"""Ending unpaid holds and sweeping overdue ones, on the fakes (no moto): what the
buyer and the next buyer notice — seats, allowance and voucher use back, the end
announced once, a payment that landed meanwhile honoured, one bad order never
stopping the sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.domain.inventory import Allocation, Counts, LineHold, Take
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals, PaymentStatus
from admitone.ports import Ports
from admitone.services import hold_sweeper, holds
from admitone.services.hold_sweeper import Overdue
from tests.fakes import fake_ports
from tests.fakes.gateways import FakePayments
from tests.fakes.store import FakeStore

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=11)


def _order(**changes: object) -> Order:
    ticket_type_id = "tty_ga"
    order = Order(
        id=new_id(Prefix.ORDER, now=NOW),
        number="A1-2026-000042",
        buyer_id="usr_ada",
        event_id="evt_gala",
        status=OrderStatus.PENDING_PAYMENT,
        lines=(OrderLine(ticket_type_id, 2, 4000),),
        totals=OrderTotals(
            currency="USD",
            subtotal=8000,
            discount=800,
            platform_fee=0,
            nft_fee=0,
            taxes=(),
            total=7200,
        ),
        allocation=Allocation((LineHold(ticket_type_id, 2, (Take(0, 1), Take(1, 1))),)),
        hold_expires_at=NOW + timedelta(minutes=10),
        created_at=NOW,
        voucher_code="FRIENDS",
    )
    return replace(order, **changes)


@pytest.fixture
def ports() -> Ports:
    return fake_ports()


def _store(ports: Ports) -> FakeStore:
    assert isinstance(ports.store, FakeStore)
    return ports.store


def _payments(ports: Ports) -> FakePayments:
    assert isinstance(ports.payments, FakePayments)
    return ports.payments


def _shards(store: FakeStore) -> dict[int, Counts]:
    return {shard: counts for (_, _, shard), counts in store.inventory.shards.items()}


def test_an_ended_hold_puts_seats_allowance_and_voucher_use_back(ports: Ports):
    store, order = _store(ports), _order()
    store.add_held_order(order, shard_capacity=5)

    ended = holds.end_hold(
        store, order, OrderStatus.CANCELLED, reason="cancelled_by_buyer", now=NOW
    )

    assert (ended.status, ended.status_reason) == (OrderStatus.CANCELLED, "cancelled_by_buyer")
    assert store.orders.get(order.id) == ended
    assert {n: (c.available, c.held) for n, c in _shards(store).items()} == {0: (5, 0), 1: (5, 0)}
    assert store.standings.tickets[("usr_ada", "evt_gala")] == 0
    voucher = store.vouchers.by_code[("evt_gala", "FRIENDS")]
    assert (voucher.uses, voucher.spent_cents) == (0, 0)
    [announced] = store.outbox.pending(limit=5)
    assert announced.event_type == "order.cancelled"


def test_a_payment_that_landed_meanwhile_keeps_the_seats_sold_to_its_buyer(ports: Ports):
    store, order = _store(ports), _order()
    store.add_held_order(order)
    paid = replace(order, status=OrderStatus.PAID, version=2, ticket_ids=("tkt_1", "tkt_2"))
    store.orders.add(paid)  # the payment's transaction got there first

    ended = holds.end_hold(store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)

    assert ended == paid
    assert all(counts.held == 1 for counts in _shards(store).values())
    assert store.outbox.pending(limit=5) == []


def test_a_hold_already_ended_is_not_released_twice(ports: Ports):
    store, order = _store(ports), _order()
    store.add_held_order(order)
    once = holds.end_hold(store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)

    again = holds.end_hold(store, once, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)

    assert again == once
    assert len(store.outbox.pending(limit=5)) == 1


def test_a_hold_ends_expired_or_cancelled_only(ports: Ports):
    with pytest.raises(ValueError, match="expired or cancelled"):
        holds.end_hold(ports.store, _order(), OrderStatus.PAID, reason="x", now=NOW)


def _placed(ports: Ports, **changes: object) -> Order:
    order = _order(**changes)
    intent = ports.payments.create_payment_intent(order, idempotency_key=f"create:{order.id}")
    order = replace(order, payment_intent_id=intent.id)
    _store(ports).add_held_order(order)
    return order


def test_the_sweeper_expires_overdue_holds_and_cancels_their_payment(ports: Ports):
    overdue = _placed(ports)
    not_yet = _placed(ports, hold_expires_at=LATER + timedelta(minutes=1))

    assert hold_sweeper.sweep(ports, LATER) == Counter({Overdue.EXPIRED: 1})

    assert _store(ports).orders.by_id[overdue.id].status is OrderStatus.EXPIRED
    assert _payments(ports).intents[overdue.payment_intent_id or ""].status is (
        PaymentStatus.CANCELED
    )
    assert _store(ports).orders.by_id[not_yet.id].status is OrderStatus.PENDING_PAYMENT
    assert hold_sweeper.sweep(ports, LATER) == Counter()  # nothing twice


def test_a_payment_still_processing_is_left_to_the_payment_worker(ports: Ports):
    order = _placed(ports)
    _payments(ports).settle(order.payment_intent_id or "", PaymentStatus.PROCESSING)

    assert hold_sweeper.sweep(ports, LATER) == Counter({Overdue.PAYING: 1})
    assert _store(ports).orders.by_id[order.id].status is OrderStatus.PENDING_PAYMENT


def test_one_order_failing_does_not_stop_the_others(ports: Ports):
    first, second = _placed(ports), _placed(ports, hold_expires_at=NOW + timedelta(minutes=9))
    _payments(ports).fail_next(error=DependencyUnavailable("Stripe is down"))

    outcomes = hold_sweeper.sweep(ports, LATER)

    assert outcomes == Counter({Overdue.FAILED: 1, Overdue.EXPIRED: 1})
    statuses = {
        o.id: o.status for o in (_store(ports).orders.by_id[i] for i in (first.id, second.id))
    }
    assert sorted(statuses.values()) == [OrderStatus.EXPIRED, OrderStatus.PENDING_PAYMENT]
    assert hold_sweeper.sweep(ports, LATER) == Counter({Overdue.EXPIRED: 1})  # the next run
