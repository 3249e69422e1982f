"""Sharded inventory against the table (moto in-process, serialized as DynamoDB is
atomic per item): creating shards, hold/release/convert/restock round trips, pools,
resizes, and real threads racing for the last units."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import inventory as store
from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.store import DynamoStore, DynamoUnitOfWork
from admitone.adapters.dynamo.table import TransactionCancelled
from admitone.adapters.dynamo.transaction import Transaction
from admitone.config import settings
from admitone.domain.catalog import TicketType
from admitone.domain.errors import (
    CapacityBelowCommitted,
    Contention,
    DependencyUnavailable,
    NotFound,
    SoldOut,
    VoucherExhausted,
)
from admitone.domain.ids import Prefix, new_id
from admitone.domain.inventory import (
    Allocation,
    Amounts,
    Counts,
    LineHold,
    Stock,
    Take,
    plan_hold,
    plan_resize,
)
from admitone.domain.money import Currency
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals
from admitone.ports.inventory import ShardCounts
from admitone.ports.unit_of_work import ChangeRefused, UnitOfWork
from admitone.services import holds, inventory
from admitone.services.inventory import AlsoStage
from tests.integration.conftest import AwsStack

EVENT = "evt_01"


def ticket_type(type_id: str, *, shards: int = 1, pool_id: str | None = None) -> TicketType:
    return TicketType(
        id=type_id,
        event_id=EVENT,
        name=type_id,
        price_cents=5000,
        currency=Currency.USD,
        capacity=100,
        shards=shards,
        pool_id=pool_id,
    )


@pytest.fixture
def ddb(aws: AwsStack) -> AwsStack:
    aws.use_function("HealthFunction")
    client("dynamodb")  # one warm container's client and settings, shared by threads
    settings()
    return aws


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr("admitone.services.inventory.time.sleep", pauses.append)
    monkeypatch.setattr("admitone.adapters.dynamo.inventory.time.sleep", pauses.append)
    return pauses


def create(owner_id: str, capacity: int, shards: int = 1) -> None:
    table.transact(store.new_inventory_ops(EVENT, owner_id, capacity, shards))


# The catalog knows an event's ticket types and pools; these tests have none, so they ask
# for every owner any of them creates (each as many shards as an owner may have).
OWNERS = (
    "tty_1",
    "tty_10",
    "tty_ga",
    "tty_missing",
    "tty_pit",
    "tty_unknown",
    "tty_vip",
    "pool_floor",
)


def event_counts(event_id: str) -> dict[str, Counts]:
    return store.counts(event_id, dict.fromkeys(OWNERS))


def shards_of(owner_id: str) -> dict[int, Counts]:
    return dict(store.inventory_of_owner(EVENT, owner_id).shards)


def assert_consistent(*owner_ids: str) -> None:
    for owner_id in owner_ids:
        for number, counts in shards_of(owner_id).items():
            assert counts.consistent, (owner_id, number, counts)


def order_op(order_id: str, allocation: Allocation | None = None) -> dict[str, Any]:
    """Stands in for the checkout's order item: new, and recording the allocation."""
    item: dict[str, Any] = {"PK": f"ORDER#{order_id}", "SK": "ORDER", "entity": "order"}
    if allocation is not None:
        item["allocation"] = allocation.to_plain()
    return table.put_op(item, condition="attribute_not_exists(PK)")


def order_item(order_id: str) -> dict[str, Any] | None:
    return table.get({"PK": f"ORDER#{order_id}", "SK": "ORDER"}, consistent=True)


def hold(lines: list[tuple[TicketType, int]], **options: Any) -> Allocation:
    return inventory.hold(DynamoStore(), EVENT, lines, **options)


def move(
    kind: str,
    allocation: Allocation,
    amounts: dict[str, Amounts] | None = None,
    *,
    ops: Sequence[tuple[dict[str, Any], Exception | None]] = (),
) -> None:
    """Stage one move of ``allocation``'s units (release, convert, restock) with legacy
    operations beside it, in one unit of work, and commit."""
    uow = DynamoUnitOfWork()
    for index, (op, error) in enumerate(ops):
        uow.stage_legacy(f"op {index}", op, error=error)
    getattr(uow.inventory, kind)(EVENT, allocation, *([amounts] if amounts else []))
    uow.commit()


def with_order(order_id: str, *, error: Exception | None = None) -> AlsoStage:
    """The caller's own write joining a hold: an order item recording the allocation."""
    return lambda uow, planned: uow.stage_legacy(  # type: ignore[attr-defined]
        f"order {order_id}", order_op(order_id, planned), error=error
    )


def sell(type_: TicketType, quantity: int) -> Allocation:
    allocation = hold([(type_, quantity)])
    move("convert", allocation)
    return allocation


# creating and reading


def test_new_inventory_splits_the_capacity_evenly_over_its_shards(ddb: AwsStack):
    create("tty_ga", 10, shards=4)

    shards = shards_of("tty_ga")
    assert [shards[n].capacity for n in range(4)] == [3, 3, 2, 2]
    assert all(c.available == c.capacity and c.held == c.sold == 0 for c in shards.values())
    item = table.get(keys.inventory_shard(EVENT, "tty_ga", 3), consistent=True)
    assert item is not None
    assert item["entity"] == "inventory_shard"
    assert (item["event_id"], item["owner_id"], item["shard"]) == (EVENT, "tty_ga", 3)
    assert item["gross_cents"] == item["discount_cents"] == item["fee_cents"] == 0


def test_inventory_cannot_be_created_twice(ddb: AwsStack):
    create("tty_ga", 10, shards=2)

    with pytest.raises(TransactionCancelled):
        create("tty_ga", 50, shards=2)
    assert event_counts(EVENT)["tty_ga"].capacity == 10


def test_counts_sum_each_owners_shards_and_keep_owners_apart(ddb: AwsStack):
    create("tty_1", 10, shards=3)
    create("tty_10", 7, shards=2)
    create("pool_floor", 12, shards=4)
    table.transact(store.new_inventory_ops("evt_other", "tty_1", 99, 1))
    hold([(ticket_type("tty_1"), 4)])

    counts = event_counts(EVENT)

    assert counts == {
        "tty_1": Counts(capacity=10, available=6, held=4),
        "tty_10": Counts(capacity=7, available=7),
        "pool_floor": Counts(capacity=12, available=12),
    }
    assert set(shards_of("tty_1")) == {0, 1, 2}  # tty_10's shards are not tty_1's
    assert store.inventory_of_owner(EVENT, "tty_unknown") == Stock("tty_unknown", {})


# hold, release, convert, restock


def test_a_hold_moves_units_from_available_to_held_on_the_shards_it_names(ddb: AwsStack):
    create("tty_ga", 20, shards=4)

    allocation = hold([(ticket_type("tty_ga", shards=4), 3)])

    shards = shards_of("tty_ga")
    held = {number: counts.held for number, counts in shards.items() if counts.held}
    assert held == allocation.by_owner()["tty_ga"]
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=20, available=17, held=3)
    assert_consistent("tty_ga")


def test_hold_release_convert_restock_round_trips_keep_every_shard_consistent(ddb: AwsStack):
    ga = ticket_type("tty_ga", shards=4)
    create("tty_ga", 20, shards=4)

    first = hold([(ga, 6)])
    move("release", first)
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=20, available=20)
    assert_consistent("tty_ga")

    second = hold([(ga, 5)])
    amounts = {"tty_ga": Amounts(gross_cents=25000, discount_cents=2500, fee_cents=1845)}
    move("convert", second, amounts)
    assert event_counts(EVENT)["tty_ga"] == Counts(20, 15, 0, 5, 25000, 2500, 1845)
    assert_consistent("tty_ga")

    (line,) = second.lines
    refund = Allocation((line.portion(2),))
    refunded = {"tty_ga": Amounts(gross_cents=10000, discount_cents=1000)}
    move("restock", refund, refunded)
    assert event_counts(EVENT)["tty_ga"] == Counts(20, 17, 0, 3, 15000, 1500, 1845)
    assert_consistent("tty_ga")


def test_releasing_a_hold_twice_is_refused_by_the_shards(ddb: AwsStack):
    create("tty_ga", 5)
    allocation = hold([(ticket_type("tty_ga"), 2)])
    move("release", allocation)

    with pytest.raises(ChangeRefused):
        move("release", allocation)
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=5, available=5)


def test_converting_more_than_is_held_or_restocking_more_than_is_sold_is_refused(ddb: AwsStack):
    create("tty_ga", 5)
    too_much = Allocation((LineHold("tty_ga", 1, (Take(0, 1),)),))

    with pytest.raises(ChangeRefused):
        move("convert", too_much)
    with pytest.raises(ChangeRefused):
        move("restock", too_much)
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=5, available=5)


def test_a_hold_without_enough_stock_is_sold_out_and_writes_nothing(ddb: AwsStack):
    create("tty_ga", 3, shards=2)

    with pytest.raises(SoldOut) as raised:
        hold([(ticket_type("tty_ga", shards=2), 4)], also=with_order("1"))

    assert raised.value.ticket_type_id == "tty_ga"
    assert event_counts(EVENT)["tty_ga"].available == 3
    assert order_item("1") is None


# pools


def test_a_pooled_type_debits_its_pool_in_the_same_transaction(ddb: AwsStack):
    vip = ticket_type("tty_vip", shards=2, pool_id="pool_floor")
    pit = ticket_type("tty_pit", pool_id="pool_floor")
    create("tty_vip", 10, shards=2)
    create("tty_pit", 10)
    create("pool_floor", 12, shards=3)

    allocation = hold([(vip, 3), (pit, 4)])

    counts = event_counts(EVENT)
    assert counts["tty_vip"].held == 3
    assert counts["tty_pit"].held == 4
    assert counts["pool_floor"] == Counts(capacity=12, available=5, held=7)
    move("convert", allocation, {"tty_vip": Amounts(gross_cents=300)})
    counts = event_counts(EVENT)
    assert counts["pool_floor"] == Counts(capacity=12, available=5, sold=7)
    assert counts["tty_vip"].gross_cents == 300
    assert counts["pool_floor"].gross_cents == 0  # money is counted once, on the type
    assert_consistent("tty_vip", "tty_pit", "pool_floor")


def test_a_pool_running_dry_stops_a_type_that_still_has_stock(ddb: AwsStack):
    vip = ticket_type("tty_vip", pool_id="pool_floor")
    ga = ticket_type("tty_ga", pool_id="pool_floor")
    create("tty_vip", 10)
    create("tty_ga", 10)
    create("pool_floor", 5, shards=2)
    hold([(ga, 4)])

    with pytest.raises(SoldOut) as raised:
        hold([(vip, 2)])

    assert raised.value.ticket_type_id == "tty_vip"
    counts = event_counts(EVENT)
    assert counts["tty_vip"] == Counts(capacity=10, available=10)
    assert counts["pool_floor"].available == 1


# the caller's own operations


def test_the_order_item_joins_the_hold_and_records_where_the_units_came_from(ddb: AwsStack):
    create("tty_ga", 8, shards=4)

    allocation = hold([(ticket_type("tty_ga", shards=4), 3)], also=with_order("1"))

    item = order_item("1")
    assert item is not None
    assert Allocation.from_plain(item["allocation"]) == allocation
    move("release", Allocation.from_plain(item["allocation"]))
    assert event_counts(EVENT)["tty_ga"].available == 8


def test_a_failed_caller_write_raises_the_error_staged_with_it_and_holds_nothing(
    ddb: AwsStack,
):
    create("tty_ga", 8)
    table.transact([order_op("1")])

    def two_orders(uow: UnitOfWork, planned: Allocation) -> None:
        with_order("2")(uow, planned)
        with_order("1", error=VoucherExhausted("The voucher has no uses left."))(uow, planned)

    with pytest.raises(VoucherExhausted):
        hold([(ticket_type("tty_ga"), 2)], also=two_orders)

    assert event_counts(EVENT)["tty_ga"].available == 8
    assert order_item("2") is None


def test_a_refused_caller_write_comes_back_by_its_name_not_its_position(ddb: AwsStack):
    create("tty_ga", 8)
    table.transact([order_op("1")])

    with pytest.raises(ChangeRefused) as raised:
        hold([(ticket_type("tty_ga"), 2)], also=with_order("1"))

    assert list(raised.value.failed) == ["order 1"]
    assert event_counts(EVENT)["tty_ga"].available == 8


def test_release_convert_and_restock_take_the_callers_operations_too(ddb: AwsStack):
    create("tty_ga", 4)
    allocation = hold([(ticket_type("tty_ga"), 1)])
    table.transact([order_op("paid")])

    with pytest.raises(VoucherExhausted):
        move("convert", allocation, ops=[(order_op("paid"), VoucherExhausted("x"))])
    move("convert", allocation, ops=[(order_op("2"), None)])

    assert order_item("2") is not None
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=4, available=3, sold=1)


# the guard, and retries


def test_a_plan_made_from_a_stale_read_is_refused_by_the_write(ddb: AwsStack):
    """Why the condition matters: two buyers plan the last unit from the same read."""
    create("tty_ga", 1)
    ga = ticket_type("tty_ga")
    snapshot = {"tty_ga": store.inventory_of_owner(EVENT, "tty_ga")}

    first = plan_hold([(ga, 1)], snapshot, rng=random.Random(1))
    second = plan_hold([(ga, 1)], snapshot, rng=random.Random(1))
    store.transact(store.hold_ops(EVENT, first))

    with pytest.raises(TransactionCancelled):
        store.transact(store.hold_ops(EVENT, second))
    assert shards_of("tty_ga")[0] == Counts(capacity=1, available=0, held=1)


def stale_first_read(
    monkeypatch: pytest.MonkeyPatch, stale: Stock
) -> Callable[[str, ShardCounts], dict[str, Stock]]:
    """The first read of ``stale.owner_id`` returns ``stale``, as if others wrote since."""
    real = store.inventory_of
    served: list[str] = []

    def read(event_id: str, owners: ShardCounts) -> dict[str, Stock]:
        found = real(event_id, owners)
        if stale.owner_id in owners and not served:
            served.append(stale.owner_id)
            found[stale.owner_id] = stale
        return found

    monkeypatch.setattr(store, "inventory_of", read)
    return read


def test_a_shard_that_ran_dry_since_the_read_is_re_read_and_another_one_used(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    ga = ticket_type("tty_ga", shards=2)
    create("tty_ga", 4, shards=2)
    before = store.inventory_of_owner(EVENT, "tty_ga")
    hold([(ga, 2)], rng=_pick_shard(0))  # shard 0 is now empty
    stale_first_read(monkeypatch, before)

    allocation = hold([(ga, 2)], rng=_pick_shard(0))

    assert allocation.by_owner() == {"tty_ga": {1: 2}}
    assert len(no_sleep) == 1
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=4, available=0, held=4)


def test_sold_out_after_a_lost_race_only_when_the_re_read_shows_no_stock(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    ga = ticket_type("tty_ga")
    create("tty_ga", 1)
    before = store.inventory_of_owner(EVENT, "tty_ga")
    hold([(ga, 1)])
    stale_first_read(monkeypatch, before)

    with pytest.raises(SoldOut):
        hold([(ga, 1)])
    assert len(no_sleep) == 1


def test_a_hold_that_loses_every_race_gives_up_as_busy_not_sold_out(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    create("tty_ga", 5)
    attempts = contending(monkeypatch)

    with pytest.raises(DependencyUnavailable):
        hold([(ticket_type("tty_ga"), 1)])
    assert len(attempts) == inventory.MAX_ATTEMPTS
    assert len(no_sleep) == inventory.MAX_ATTEMPTS
    assert all(0 <= pause <= 0.2 for pause in no_sleep)


def test_a_conflict_on_ending_a_hold_is_retried_with_the_same_writes(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    create("tty_ga", 5)
    order = placed_order(hold([(ticket_type("tty_ga"), 2)]))
    calls = contending(monkeypatch, times=1)
    ended = holds.end_hold(
        DynamoStore(), order, OrderStatus.EXPIRED, reason="hold_expired", now=order.created_at
    )

    assert ended.status is OrderStatus.EXPIRED
    assert len(calls) == 2
    # The same writes again; only the announcement is a new outbox item.
    assert [n for n in calls[0] if not n.startswith("outbox")] == [
        n for n in calls[1] if not n.startswith("outbox")
    ]
    assert event_counts(EVENT)["tty_ga"].available == 5
    again = placed_order(hold([(ticket_type("tty_ga"), 2)]))
    contending(monkeypatch)
    with pytest.raises(DependencyUnavailable):
        holds.end_hold(
            DynamoStore(), again, OrderStatus.EXPIRED, reason="hold_expired", now=order.created_at
        )


def contending(monkeypatch: pytest.MonkeyPatch, times: int | None = None) -> list[list[str]]:
    """Every commit (or the first ``times``) loses to a contending writer; the names each
    attempt staged."""
    real = Transaction.commit
    attempts: list[list[str]] = []

    def commit(self: Transaction) -> None:
        attempts.append(self.names)
        if times is None or len(attempts) <= times:
            raise Contention("The store is busy; try again.")
        real(self)

    monkeypatch.setattr(Transaction, "commit", commit)
    return attempts


def placed_order(allocation: Allocation) -> Order:
    """An order holding ``allocation``, with its buyer's standing, as placing stores it."""
    quantity = sum(line.quantity for line in allocation.lines)
    now = datetime.now(UTC)
    order = Order(
        id=new_id(Prefix.ORDER, now=now),
        number="2026-000001",
        buyer_id="usr_1",
        event_id=EVENT,
        status=OrderStatus.PENDING_PAYMENT,
        lines=(OrderLine("tty_ga", quantity, 5000),),
        totals=OrderTotals("USD", 5000 * quantity, 0, 0, 0, (), 5000 * quantity),
        allocation=allocation,
        hold_expires_at=now + timedelta(minutes=10),
        created_at=now,
    )
    uow = DynamoUnitOfWork()
    uow.orders.place(order)
    uow.standings.take(order, limit=10, now=now)
    uow.commit()
    return order


def cancelled(*reasons: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": reason} for reason in reasons],
        },
        "TransactWriteItems",
    )


@pytest.mark.parametrize(
    "reasons", [("None", "TransactionConflict"), ("ThrottlingError",), ("TransactionConflict",)]
)
def test_a_cancellation_without_a_failed_condition_is_a_conflict_to_retry(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, reasons: tuple[str, ...]
):
    monkeypatch.setattr(table, "transact", _always(cancelled(*reasons)))

    with pytest.raises(store.TransactionConflict):
        store.transact([])


@pytest.mark.parametrize(
    "error",
    [
        cancelled("None", "ValidationError"),
        ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems"),
    ],
)
def test_a_request_dynamodb_refuses_is_not_retried(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, error: ClientError
):
    monkeypatch.setattr(table, "transact", _always(error))

    with pytest.raises(ClientError):
        store.transact([])


def test_moving_less_than_one_unit_is_a_programming_error(ddb: AwsStack):
    with pytest.raises(ValueError, match="cannot move 0"):
        store.hold_op(EVENT, "tty_ga", 0, 0)


def _always(error: Exception) -> Callable[[Any], None]:
    def raise_it(ops: Any) -> None:
        raise error

    return raise_it


class _pick_shard:  # noqa: N801 - reads as a value at call sites
    """An rng whose shuffle puts ``first`` at the front: the plan tries that shard first."""

    def __init__(self, first: int) -> None:
        self.first = first

    def shuffle(self, items: list[tuple[int, int]]) -> None:
        items.sort(key=lambda pair: pair[0] != self.first)

    def uniform(self, low: float, high: float) -> float:
        return low


# resize


def test_more_capacity_is_spread_over_the_shards(ddb: AwsStack):
    create("tty_ga", 10, shards=4)
    sell(ticket_type("tty_ga", shards=4), 3)

    after = store.resize(EVENT, "tty_ga", 17)

    assert after == Counts(capacity=17, available=14, sold=3)
    assert event_counts(EVENT)["tty_ga"] == after
    assert [c.capacity for _, c in sorted(shards_of("tty_ga").items())] == [
        5,
        5,
        4,
        3,
    ]  # 3,3,2,2 + 2,2,2,1
    assert_consistent("tty_ga")


def test_less_capacity_comes_out_of_available_only(ddb: AwsStack):
    ga = ticket_type("tty_ga", shards=4)
    create("tty_ga", 20, shards=4)
    sell(ga, 6)
    hold([(ga, 4)])

    after = store.resize(EVENT, "tty_ga", 10)

    assert after == Counts(capacity=10, available=0, held=4, sold=6)
    assert event_counts(EVENT)["tty_ga"] == after
    assert_consistent("tty_ga")


def test_capacity_below_sold_and_held_is_refused(ddb: AwsStack):
    ga = ticket_type("tty_ga", shards=2)
    create("tty_ga", 20, shards=2)
    sell(ga, 6)
    hold([(ga, 4)])

    with pytest.raises(CapacityBelowCommitted):
        store.resize(EVENT, "tty_ga", 9)
    assert event_counts(EVENT)["tty_ga"].capacity == 20


def test_a_resize_joins_the_callers_operations_and_is_a_no_op_when_equal(ddb: AwsStack):
    create("tty_ga", 10, shards=2)

    store.resize(EVENT, "tty_ga", 12, extra_ops=[order_op("ticket-type-item")])
    assert order_item("ticket-type-item") is not None
    assert store.resize(EVENT, "tty_ga", 12) == Counts(capacity=12, available=12)
    with pytest.raises(VoucherExhausted):
        store.resize(
            EVENT,
            "tty_ga",
            15,
            extra_ops=[order_op("ticket-type-item")],
            errors={0: VoucherExhausted("x")},
        )
    assert event_counts(EVENT)["tty_ga"].capacity == 12


def test_resizing_an_owner_without_inventory_is_not_found(ddb: AwsStack):
    with pytest.raises(NotFound):
        store.resize(EVENT, "tty_missing", 10)


def test_a_resize_planned_from_a_stale_read_re_reads_and_re_plans(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    ga = ticket_type("tty_ga", shards=2)
    create("tty_ga", 10, shards=2)
    before = store.inventory_of_owner(EVENT, "tty_ga")
    hold([(ga, 5)], rng=_pick_shard(0))  # shard 0: 0 available
    stale_first_read(monkeypatch, before)

    after = store.resize(EVENT, "tty_ga", 5)  # the stale plan took 2-3 from shard 0

    assert after == Counts(capacity=5, available=0, held=5)
    assert len(no_sleep) == 1
    assert_consistent("tty_ga")


def test_a_resize_that_loses_every_race_gives_up_as_busy(
    ddb: AwsStack, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
):
    create("tty_ga", 10, shards=2)
    monkeypatch.setattr(store, "transact", _always(store.TransactionConflict()))

    with pytest.raises(DependencyUnavailable):
        store.resize(EVENT, "tty_ga", 12)
    assert len(no_sleep) == store.MAX_ATTEMPTS
    assert event_counts(EVENT)["tty_ga"].capacity == 10


def test_two_resizes_racing_cannot_both_apply(ddb: AwsStack):
    create("tty_ga", 10, shards=2)
    snapshot = store.inventory_of_owner(EVENT, "tty_ga")

    store.transact(store.resize_ops(EVENT, "tty_ga", plan_resize(snapshot, 20)))
    with pytest.raises(TransactionCancelled):
        store.transact(store.resize_ops(EVENT, "tty_ga", plan_resize(snapshot, 30)))
    assert event_counts(EVENT)["tty_ga"].capacity == 20


# real concurrency


def race(buyers: int, buy: Callable[[], str]) -> list[str]:
    """``buyers`` threads released together by a barrier; their outcomes."""
    start = threading.Barrier(buyers)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(buy())
        except BaseException as exc:  # surfaced below with the outcome counts
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return outcomes


def hold_outcome(lines: list[tuple[TicketType, int]]) -> Callable[[], str]:
    def buy() -> str:
        try:
            hold(lines)
        except SoldOut:
            return "sold out"
        return "held"

    return buy


@pytest.fixture
def last_twenty_of_four_shards(ddb: AwsStack) -> TicketType:
    """A 4-shard type of 60 with 40 already sold, unevenly across its shards."""
    ga = ticket_type("tty_ga", shards=4)
    create("tty_ga", 60, shards=4)
    for quantity in (7, 3, 9, 1, 10, 4, 6):
        sell(ga, quantity)
    assert event_counts(EVENT)["tty_ga"].available == 20
    return ga


def test_64_buyers_of_one_unit_for_the_last_20_sell_exactly_20(
    last_twenty_of_four_shards: TicketType,
):
    outcomes = race(64, hold_outcome([(last_twenty_of_four_shards, 1)]))

    assert outcomes.count("held") == 20
    assert outcomes.count("sold out") == 44
    shards = shards_of("tty_ga")
    assert all(counts.available == 0 for counts in shards.values())
    assert all(counts.consistent for counts in shards.values())
    assert event_counts(EVENT)["tty_ga"] == Counts(capacity=60, available=0, held=20, sold=40)


def test_64_buyers_of_two_units_for_the_last_20_sell_exactly_10_holds(
    last_twenty_of_four_shards: TicketType,
):
    outcomes = race(64, hold_outcome([(last_twenty_of_four_shards, 2)]))

    assert outcomes.count("held") == 10
    assert outcomes.count("sold out") == 54
    shards = shards_of("tty_ga")
    assert all(counts.available == 0 for counts in shards.values())
    assert all(counts.consistent for counts in shards.values())
    assert event_counts(EVENT)["tty_ga"].held == 20


def test_40_buyers_of_two_types_sharing_a_pool_of_10_sell_exactly_10(ddb: AwsStack):
    vip = ticket_type("tty_vip", shards=2, pool_id="pool_floor")
    pit = ticket_type("tty_pit", shards=2, pool_id="pool_floor")
    create("tty_vip", 20, shards=2)
    create("tty_pit", 20, shards=2)
    create("pool_floor", 10, shards=4)
    turn = iter(range(40))
    lock = threading.Lock()

    def buy() -> str:
        with lock:
            mine = next(turn)
        return hold_outcome([(vip if mine % 2 else pit, 1)])()

    outcomes = race(40, buy)

    assert outcomes.count("held") == 10
    counts = event_counts(EVENT)
    assert counts["pool_floor"] == Counts(capacity=10, available=0, held=10)
    assert counts["tty_vip"].held + counts["tty_pit"].held == 10
    assert_consistent("tty_vip", "tty_pit", "pool_floor")
