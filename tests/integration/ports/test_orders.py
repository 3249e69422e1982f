"""The orders port: placing an order and moving it along in a unit of work, reading it
back, the sweeper's work list, a buyer's pages, and the event's list of paid orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.orders import Order, OrderStatus, PaymentStatus
from admitone.ports.staging import Staged
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused, UnitOfWork
from tests.integration.ports.given import NOW, an_order, placed

LATER = NOW + timedelta(minutes=1)


def test_a_placed_order_lands_only_with_its_commit_and_reads_back_equal(store: Store):
    order = an_order()
    uow = store.unit_of_work()
    uow.orders.place(order)
    assert store.orders.get(order.id) is None
    uow.commit()
    assert store.orders.get(order.id) == order


def test_placing_an_id_that_exists_is_refused_with_the_order_as_it_is(store: Store):
    order = placed(store, an_order())
    uow = store.unit_of_work()
    staged = uow.orders.place(replace(order, buyer_id="usr_other"))
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert refused.value.as_was(staged) == order


def test_a_transition_moves_the_order_once_and_a_stale_one_gets_the_order_as_it_is(
    store: Store,
):
    order = placed(store, an_order())
    uow = store.unit_of_work()
    uow.orders.transition(
        order,
        OrderStatus.PAID,
        now=LATER,
        ticket_ids=["tkt_1", "tkt_2"],
        payment_status=PaymentStatus.SUCCEEDED,
    )
    uow.commit()
    paid = store.orders.get(order.id)
    assert paid is not None
    assert (paid.status, paid.version, paid.ticket_ids, paid.paid_at, paid.payment_status) == (
        OrderStatus.PAID,
        2,
        ("tkt_1", "tkt_2"),
        LATER,
        PaymentStatus.SUCCEEDED,
    )

    stale = store.unit_of_work()
    staged = stale.orders.transition(order, OrderStatus.EXPIRED, now=LATER, release_hold=True)
    with pytest.raises(ChangeRefused) as refused:
        stale.commit()
    assert refused.value.refused(staged)
    assert refused.value.as_was(staged) == paid
    assert store.orders.get(order.id) == paid


def test_a_pending_order_is_on_the_sweepers_list_until_it_leaves_pending(store: Store):
    order = placed(store, an_order())
    assert store.orders.held_past(order.hold_expires_at, limit=10) == []
    after = order.hold_expires_at + timedelta(seconds=1)
    assert store.orders.held_past(after, limit=10) == [order.id]

    uow = store.unit_of_work()
    uow.orders.transition(
        order, OrderStatus.EXPIRED, now=after, release_hold=True, reason="hold_expired"
    )
    uow.commit()
    assert store.orders.held_past(after, limit=10) == []
    expired = store.orders.get(order.id)
    assert expired is not None
    assert (expired.hold_released, expired.status_reason) == (True, "hold_expired")


def test_an_order_is_placed_with_its_payment_intent(store: Store):
    order = placed(store, replace(an_order(), payment_intent_id="pi_1"))
    stored = store.orders.get(order.id)
    assert stored is not None
    assert stored.payment_intent_id == "pi_1"


def test_a_buyers_orders_come_newest_first_a_page_at_a_time(store: Store):
    first = placed(store, an_order())
    second = placed(store, replace(an_order(), created_at=NOW + timedelta(seconds=1)))
    third = placed(store, replace(an_order(), created_at=NOW + timedelta(seconds=2)))
    placed(store, an_order(buyer_id="usr_other"))
    page, resume = store.orders.page_of_buyer("usr_1", limit=2, start_key=None)
    assert [o.id for o in page] == [third.id, second.id]
    assert resume is not None
    rest, end = store.orders.page_of_buyer("usr_1", limit=2, start_key=resume)
    assert [o.id for o in rest] == [first.id]
    assert end is None


def test_an_order_goes_on_its_events_paid_list_with_its_move_to_paid_so_once(store: Store):
    order = placed(store, an_order())

    def pay() -> tuple[UnitOfWork, Staged[Order]]:
        uow = store.unit_of_work()
        moved = uow.orders.transition(
            order, OrderStatus.PAID, now=LATER, payment_status=PaymentStatus.SUCCEEDED
        )
        uow.orders.list_as_paid(order)
        return uow, moved

    first, _ = pay()
    first.commit()
    again, moved = pay()
    with pytest.raises(ChangeRefused) as refused:
        again.commit()
    assert refused.value.refused(moved)


def test_order_numbers_count_up_per_year(store: Store):
    assert [store.order_numbers.draw(2026) for _ in range(3)] == [1, 2, 3]
    assert store.order_numbers.draw(2027) == 1
    assert store.order_numbers.draw(2026) == 4
