"""The change sets that end an unpaid hold (orders, shards, standing, voucher) and the
orders repository, on the fake and on DynamoDB alike: all of it lands, or none does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.catalog import Voucher, VoucherKind
from admitone.domain.events import OrderEnded
from admitone.domain.ids import Prefix, new_id
from admitone.domain.inventory import Allocation, LineHold, Take
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals, ended_unpaid
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused, Staged
from tests.integration.ports.given import a_voucher, shards, voucher_now

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
CODE = "EARLY"
DISCOUNT = 500
CAPACITY = 10  # per shard


@dataclass(frozen=True)
class Held:
    """What the order holds, as the store sees it."""

    held: tuple[int, int]  # per shard 0 and 1
    standing: int
    voucher_uses: int
    voucher_spent: int


def _order(**changes: object) -> Order:
    event_id = new_id(Prefix.EVENT, now=NOW)
    ticket_type_id = new_id(Prefix.TICKET_TYPE, now=NOW)
    order = Order(
        id=new_id(Prefix.ORDER, now=NOW),
        number="A1-2026-000042",
        buyer_id=new_id(Prefix.USER, now=NOW),
        event_id=event_id,
        status=OrderStatus.PENDING_PAYMENT,
        lines=(OrderLine(ticket_type_id, 3, 4000),),
        totals=OrderTotals(
            currency="USD",
            subtotal=12000,
            discount=DISCOUNT,
            platform_fee=0,
            nft_fee=0,
            taxes=(),
            total=11500,
        ),
        allocation=Allocation(
            (LineHold(ticket_type_id, 3, (Take(shard=0, quantity=1), Take(shard=1, quantity=2))),)
        ),
        hold_expires_at=NOW + timedelta(minutes=10),
        created_at=NOW,
        voucher_code=CODE,
    )
    return replace(order, **changes)


def _given(store: Store, order: Order) -> None:
    """The order placed through the unit of work: its seats held, its allowance taken
    and its voucher used."""
    [line] = order.allocation.lines
    shards(store, order.event_id, line.ticket_type_id, 2 * CAPACITY, 2)
    voucher = a_voucher(
        store, event_id=order.event_id, code=CODE, kind=VoucherKind.FIXED, value=DISCOUNT
    )
    uow = store.unit_of_work()
    uow.orders.place(order)
    uow.inventory.hold(order.event_id, order.allocation)
    uow.standings.take(order, limit=10, now=NOW)
    uow.vouchers.redeem(voucher, DISCOUNT, now=NOW)
    uow.commit()


def _held(store: Store, order: Order) -> Held:
    [line] = order.allocation.lines
    stock = store.inventory.of_owner(order.event_id, line.ticket_type_id)
    voucher = voucher_now(store, Voucher(order.event_id, CODE, VoucherKind.FIXED, DISCOUNT))
    assert voucher is not None
    return Held(
        held=(stock.shards[0].held, stock.shards[1].held),
        standing=store.orders.standing(order.buyer_id, order.event_id).tickets,
        voucher_uses=voucher.uses,
        voucher_spent=voucher.spent_cents,
    )


def _end(store: Store, order: Order, target: OrderStatus = OrderStatus.EXPIRED) -> Staged[Order]:
    uow = store.unit_of_work()
    moved = uow.orders.transition(order, target, now=NOW, release_hold=True, reason="hold_expired")
    uow.standings.give_back(order.buyer_id, order.event_id, order.quantity)
    assert order.voucher_code is not None
    uow.vouchers.give_back(order.event_id, order.voucher_code, order.totals.discount)
    uow.inventory.release(order.event_id, order.allocation)
    uow.outbox.announce(
        f"order.{target.value}",
        OrderEnded(order_id=order.id, event_id=order.event_id, reason="hold_expired"),
        now=NOW,
    )
    uow.commit()
    return moved


def test_an_ended_hold_gives_everything_back_in_one_commit(store: Store):
    order = _order()
    _given(store, order)
    assert _held(store, order) == Held((1, 2), standing=3, voucher_uses=1, voucher_spent=500)

    _end(store, order)

    ended = store.orders.get(order.id)
    assert ended == ended_unpaid(order, OrderStatus.EXPIRED, reason="hold_expired")
    assert (ended.status, ended.hold_released, ended.version) == (OrderStatus.EXPIRED, True, 2)
    assert ended.status_reason == "hold_expired"
    assert _held(store, order) == Held((0, 0), standing=0, voucher_uses=0, voucher_spent=0)
    [announced] = store.outbox.pending(limit=10)
    assert announced.event_type == "order.expired"
    assert announced.detail["data"] == {
        "order_id": order.id,
        "event_id": order.event_id,
        "reason": "hold_expired",
    }


@pytest.mark.parametrize(
    "stored",
    [{"version": 2}, {"status": OrderStatus.PAID}],
    ids=["changed", "paid-meanwhile"],
)
def test_an_order_that_moved_on_refuses_the_whole_commit(store: Store, stored: dict[str, object]):
    order = _order(**stored)
    _given(store, order)
    as_read = replace(order, version=1, status=OrderStatus.PENDING_PAYMENT)

    with pytest.raises(ChangeRefused) as refused:
        _end(store, as_read)

    assert refused.value.name == f"order {order.id}"
    assert refused.value.failed[refused.value.name] == order  # handed back as it is
    assert store.orders.get(order.id) == order
    assert _held(store, order) == Held((1, 2), standing=3, voucher_uses=1, voucher_spent=500)
    assert store.outbox.pending(limit=10) == []


def test_releasing_more_than_a_shard_holds_is_refused_by_name(store: Store):
    order = _order()
    _given(store, order)
    [line] = order.allocation.lines
    twice = replace(
        order,
        allocation=Allocation((replace(line, shards=(Take(0, 1), Take(1, 3))),)),
    )

    with pytest.raises(ChangeRefused) as refused:
        _end(store, twice)

    assert refused.value.name == f"shard {line.ticket_type_id}#1"
    assert store.orders.get(order.id) == order
    assert _held(store, order) == Held((1, 2), standing=3, voucher_uses=1, voucher_spent=500)


def test_the_sweepers_list_holds_the_overdue_pending_orders_oldest_first(store: Store):
    soon, later, paid = (
        _order(hold_expires_at=NOW + timedelta(minutes=5)),
        _order(hold_expires_at=NOW + timedelta(minutes=9)),
        _order(hold_expires_at=NOW + timedelta(minutes=1)),
    )
    for order in (later, soon, paid):
        _given(store, order)
    _end(store, paid)

    moment = NOW + timedelta(minutes=10)
    assert store.orders.held_past(moment, limit=10) == [soon.id, later.id]
    assert store.orders.held_past(moment, limit=1) == [soon.id]
    assert store.orders.held_past(NOW + timedelta(minutes=6), limit=10) == [soon.id]
    assert store.orders.get(new_id(Prefix.ORDER, now=NOW)) is None
