"""Inventory planning: which shards a hold takes from, pools, resizes, the sums."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.catalog import TicketType
from admitone.domain.errors import CapacityBelowCommitted, SoldOut
from admitone.domain.inventory import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    Allocation,
    Counts,
    LineHold,
    ShardChange,
    Stock,
    Take,
    backoff_seconds,
    plan_hold,
    plan_resize,
    plan_take,
    shard_capacities,
    total,
)
from admitone.domain.money import Currency


def ticket_type(type_id: str, pool_id: str | None = None) -> TicketType:
    return TicketType(
        id=type_id,
        event_id="evt_1",
        name=type_id,
        price_cents=5000,
        currency=Currency.USD,
        capacity=100,
        pool_id=pool_id,
    )


def shard(capacity: int, available: int | None = None, held: int = 0, sold: int = 0) -> Counts:
    free = capacity - held - sold if available is None else available
    return Counts(capacity=capacity, available=free, held=held, sold=sold)


def stock(owner_id: str, *availables: int) -> Stock:
    return Stock(owner_id, {n: shard(a) for n, a in enumerate(availables)})


def taken(takes: tuple[Take, ...]) -> dict[int, int]:
    return {take.shard: take.quantity for take in takes}


GA = ticket_type("tty_ga")
VIP = ticket_type("tty_vip", pool_id="pool_floor")
PIT = ticket_type("tty_pit", pool_id="pool_floor")

shard_units = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=16)


# counts


def test_counts_add_up_counter_by_counter() -> None:
    a = Counts(10, 4, 3, 3, 900, 100, 80)
    b = Counts(5, 5, 0, 0, 0, 0, 0)

    assert a + b == Counts(15, 9, 3, 3, 900, 100, 80)
    assert total([a, b, b]) == Counts(20, 14, 3, 3, 900, 100, 80)
    assert total([]) == Counts()


def test_committed_is_what_is_sold_or_held() -> None:
    assert shard(10, held=2, sold=5).committed == 7


@pytest.mark.parametrize(
    ("counts", "consistent"),
    [
        (shard(10, held=2, sold=5), True),
        (Counts(capacity=10, available=4, held=2, sold=5), False),  # 11 != 10
        (Counts(capacity=10, available=-1, held=6, sold=5), False),  # sums, but negative
    ],
)
def test_a_shard_is_consistent_when_its_counters_sum_to_its_capacity(
    counts: Counts, consistent: bool
) -> None:
    assert counts.consistent is consistent


def test_a_stock_sums_its_shards_and_lists_a_counter_by_shard() -> None:
    owned = Stock("tty_ga", {1: shard(5, held=1), 0: shard(5, sold=2)})

    assert owned.totals == Counts(capacity=10, available=7, held=1, sold=2)
    assert owned.units() == [(0, 3), (1, 4)]
    assert owned.units("held") == [(0, 0), (1, 1)]


@given(capacity=st.integers(min_value=1, max_value=10**6), shards=st.integers(1, 16))
def test_shard_capacities_are_even_and_sum_to_the_capacity(capacity: int, shards: int) -> None:
    shares = shard_capacities(capacity, shards)

    assert sum(shares) == capacity
    assert len(shares) == shards
    assert max(shares) - min(shares) <= 1


# plan_take


def test_one_shard_that_covers_the_quantity_serves_it_alone() -> None:
    takes = plan_take([(0, 1), (1, 5), (2, 0)], 3, ticket_type_id="tty_ga", rng=random.Random(1))

    assert takes == (Take(1, 3),)


def test_the_covering_shard_is_picked_at_random_so_buyers_spread() -> None:
    rng = random.Random(7)
    picks = Counter(
        plan_take([(n, 10) for n in range(4)], 1, ticket_type_id="tty_ga", rng=rng)[0].shard
        for _ in range(400)
    )

    assert set(picks) == {0, 1, 2, 3}
    assert min(picks.values()) > 50


def test_a_quantity_no_shard_covers_is_split_across_shards() -> None:
    takes = plan_take(
        [(0, 1), (1, 1), (2, 0), (3, 1)], 2, ticket_type_id="tty_ga", rng=random.Random()
    )

    assert len(takes) == 2
    assert sum(t.quantity for t in takes) == 2
    assert {t.shard for t in takes} <= {0, 1, 3}


def test_the_same_seed_gives_the_same_plan() -> None:
    units = [(n, 3) for n in range(8)]

    first = plan_take(units, 7, ticket_type_id="tty_ga", rng=random.Random(42))
    again = plan_take(units, 7, ticket_type_id="tty_ga", rng=random.Random(42))

    assert first == again


def test_fewer_units_than_asked_is_sold_out_naming_the_ticket_type() -> None:
    with pytest.raises(SoldOut) as raised:
        plan_take([(0, 1), (1, 2)], 4, ticket_type_id="tty_ga", rng=random.Random())

    assert raised.value.ticket_type_id == "tty_ga"
    assert raised.value.code == "SOLD_OUT"


def test_no_shards_at_all_is_sold_out() -> None:
    with pytest.raises(SoldOut):
        plan_take([], 1, ticket_type_id="tty_ga", rng=random.Random())


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_a_programming_error(quantity: int) -> None:
    with pytest.raises(ValueError, match="cannot take"):
        plan_take([(0, 5)], quantity, ticket_type_id="tty_ga", rng=random.Random())


@given(units=shard_units, quantity=st.integers(1, 60), seed=st.integers())
def test_a_plan_takes_exactly_the_quantity_and_never_more_than_a_shard_has(
    units: list[int], quantity: int, seed: int
) -> None:
    pairs = list(enumerate(units))
    try:
        takes = plan_take(pairs, quantity, ticket_type_id="tty_ga", rng=random.Random(seed))
    except SoldOut:
        assert sum(units) < quantity
        return

    assert sum(t.quantity for t in takes) == quantity
    assert all(0 < t.quantity <= units[t.shard] for t in takes)
    assert len({t.shard for t in takes}) == len(takes)
    if max(units) >= quantity:
        assert len(takes) == 1


@given(units=shard_units, quantity=st.integers(1, 60), seed=st.integers())
def test_sold_out_only_when_the_shards_together_are_short(
    units: list[int], quantity: int, seed: int
) -> None:
    pairs = list(enumerate(units))
    enough = sum(units) >= quantity
    try:
        plan_take(pairs, quantity, ticket_type_id="tty_ga", rng=random.Random(seed))
    except SoldOut:
        assert not enough
    else:
        assert enough


# plan_hold


def test_a_hold_plans_each_ticket_type_from_its_own_shards() -> None:
    allocation = plan_hold(
        [(GA, 2)],
        {"tty_ga": stock("tty_ga", 0, 5), "tty_other": stock("tty_other", 9)},
        rng=random.Random(3),
    )

    assert allocation == Allocation((LineHold("tty_ga", 2, (Take(1, 2),)),))


def test_lines_of_the_same_type_are_merged() -> None:
    allocation = plan_hold([(GA, 1), (GA, 2)], {"tty_ga": stock("tty_ga", 5)}, rng=random.Random())

    assert allocation.lines == (LineHold("tty_ga", 3, (Take(0, 3),)),)


def test_a_pooled_type_takes_the_same_units_from_its_pool() -> None:
    allocation = plan_hold(
        [(VIP, 2)],
        {"tty_vip": stock("tty_vip", 10), "pool_floor": stock("pool_floor", 0, 0, 4)},
        rng=random.Random(),
    )

    (line,) = allocation.lines
    assert line.pool_id == "pool_floor"
    assert line.pool_shards == (Take(2, 2),)
    assert allocation.by_owner() == {"tty_vip": {0: 2}, "pool_floor": {2: 2}}


def test_types_of_one_pool_share_one_plan_of_the_pool_dealt_out_line_by_line() -> None:
    allocation = plan_hold(
        [(VIP, 2), (GA, 1), (PIT, 3)],
        {
            "tty_vip": stock("tty_vip", 10),
            "tty_pit": stock("tty_pit", 10),
            "tty_ga": stock("tty_ga", 10),
            "pool_floor": stock("pool_floor", 2, 2, 1),  # 5 = 2 + 3, from all three shards
        },
        rng=random.Random(5),
    )

    by_type = {line.ticket_type_id: line for line in allocation.lines}
    assert [line.ticket_type_id for line in allocation.lines] == ["tty_vip", "tty_ga", "tty_pit"]
    assert sum(t.quantity for t in by_type["tty_vip"].pool_shards) == 2
    assert sum(t.quantity for t in by_type["tty_pit"].pool_shards) == 3
    assert by_type["tty_ga"].pool_shards == ()
    assert allocation.by_owner()["pool_floor"] == {0: 2, 1: 2, 2: 1}


def test_a_pool_running_dry_stops_a_type_that_still_has_stock() -> None:
    with pytest.raises(SoldOut) as raised:
        plan_hold(
            [(VIP, 2)],
            {"tty_vip": stock("tty_vip", 50), "pool_floor": stock("pool_floor", 1)},
            rng=random.Random(),
        )

    assert raised.value.ticket_type_id == "tty_vip"


def test_a_type_without_inventory_is_sold_out() -> None:
    with pytest.raises(SoldOut) as raised:
        plan_hold([(GA, 1)], {}, rng=random.Random())

    assert raised.value.ticket_type_id == "tty_ga"


def test_a_hold_of_nothing_or_of_zero_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="nothing"):
        plan_hold([], {}, rng=random.Random())
    with pytest.raises(ValueError, match="cannot hold 0"):
        plan_hold([(GA, 0)], {"tty_ga": stock("tty_ga", 5)}, rng=random.Random())


@given(
    type_units=st.lists(shard_units, min_size=3, max_size=3),
    pool_units=shard_units,
    quantities=st.lists(st.integers(1, 10), min_size=3, max_size=3),
    seed=st.integers(),
)
def test_a_hold_plan_takes_each_line_from_its_type_and_pool_within_their_stock(
    type_units: list[list[int]], pool_units: list[int], quantities: list[int], seed: int
) -> None:
    types = [VIP, GA, PIT]
    shelves = {tt.id: stock(tt.id, *units) for tt, units in zip(types, type_units, strict=True)}
    shelves["pool_floor"] = stock("pool_floor", *pool_units)
    try:
        allocation = plan_hold(
            list(zip(types, quantities, strict=True)), shelves, rng=random.Random(seed)
        )
    except SoldOut:
        short = [sum(u) < q for u, q in zip(type_units, quantities, strict=True)]
        assert any(short) or sum(pool_units) < quantities[0] + quantities[2]
        return

    for line, quantity in zip(allocation.lines, quantities, strict=True):
        assert sum(t.quantity for t in line.shards) == quantity
        if line.pool_id:
            assert sum(t.quantity for t in line.pool_shards) == quantity
    for owner_id, per_shard in allocation.by_owner().items():
        for number, units in per_shard.items():
            assert 0 < units <= shelves[owner_id].shards[number].available


# allocations


def test_an_allocation_survives_a_round_trip_through_plain_data() -> None:
    allocation = Allocation(
        (
            LineHold("tty_ga", 3, (Take(0, 2), Take(3, 1))),
            LineHold("tty_vip", 2, (Take(1, 2),), "pool_floor", (Take(0, 1), Take(2, 1))),
        )
    )

    plain = allocation.to_plain()

    assert plain == [
        {"ticket_type_id": "tty_ga", "quantity": 3, "shards": [[0, 2], [3, 1]]},
        {
            "ticket_type_id": "tty_vip",
            "quantity": 2,
            "shards": [[1, 2]],
            "pool_id": "pool_floor",
            "pool_shards": [[0, 1], [2, 1]],
        },
    ]
    assert Allocation.from_plain(plain) == allocation


def test_a_portion_is_the_first_units_of_a_line_from_both_its_type_and_its_pool() -> None:
    line = LineHold("tty_vip", 4, (Take(0, 1), Take(2, 3)), "pool_floor", (Take(1, 4),))

    assert line.portion(2) == LineHold(
        "tty_vip", 2, (Take(0, 1), Take(2, 1)), "pool_floor", (Take(1, 2),)
    )
    assert line.portion(4) == line
    assert LineHold("tty_ga", 2, (Take(5, 2),)).portion(1) == LineHold("tty_ga", 1, (Take(5, 1),))


@pytest.mark.parametrize("quantity", [0, 5])
def test_a_portion_is_between_one_unit_and_the_whole_line(quantity: int) -> None:
    with pytest.raises(ValueError, match="of a line of 4"):
        LineHold("tty_ga", 4, (Take(0, 4),)).portion(quantity)


def test_units_further_into_a_line_come_from_the_shards_that_gave_them() -> None:
    line = LineHold("tty_vip", 4, (Take(0, 1), Take(2, 3)), "pool_floor", (Take(1, 2), Take(3, 2)))

    assert line.units(1, 2) == LineHold(
        "tty_vip", 2, (Take(2, 2),), "pool_floor", (Take(1, 1), Take(3, 1))
    )
    assert line.units(3, 1) == LineHold("tty_vip", 1, (Take(2, 1),), "pool_floor", (Take(3, 1),))
    together = [line.units(n, 1) for n in range(4)]
    assert sum((unit.shards for unit in together), ()) == (
        Take(0, 1),
        Take(2, 1),
        Take(2, 1),
        Take(2, 1),
    )


@pytest.mark.parametrize(("start", "quantity"), [(-1, 1), (3, 2), (4, 1)])
def test_units_lie_within_the_line(start: int, quantity: int) -> None:
    with pytest.raises(ValueError, match="of a line of 4"):
        LineHold("tty_ga", 4, (Take(0, 4),)).units(start, quantity)


# resize


def test_more_capacity_is_spread_evenly_over_the_shards() -> None:
    owned = Stock("tty_ga", {0: shard(5, sold=5), 1: shard(5), 2: shard(5, held=1)})

    changes = plan_resize(owned, 20)

    assert changes == (ShardChange(0, 5, 2), ShardChange(1, 5, 2), ShardChange(2, 5, 1))


def test_less_capacity_is_taken_from_available_only_never_below_zero() -> None:
    owned = Stock("tty_ga", {0: shard(10, sold=10), 1: shard(10, held=4), 2: shard(10, sold=2)})

    changes = plan_resize(owned, 20)  # 14 available, 10 to take

    assert sum(c.delta for c in changes) == -10
    assert all(c.shard != 0 for c in changes)  # shard 0 has nothing available
    for change in changes:
        assert -change.delta <= owned.shards[change.shard].available


def test_capacity_down_to_exactly_what_is_committed_is_allowed() -> None:
    owned = Stock("tty_ga", {0: shard(10, held=3), 1: shard(10, sold=4)})

    changes = plan_resize(owned, 7)

    assert changes == (ShardChange(0, 10, -7), ShardChange(1, 10, -6))


def test_capacity_below_what_is_sold_and_held_is_refused() -> None:
    owned = Stock("tty_ga", {0: shard(10, held=3), 1: shard(10, sold=4)})

    with pytest.raises(CapacityBelowCommitted):
        plan_resize(owned, 6)


def test_the_same_capacity_changes_nothing() -> None:
    assert plan_resize(stock("tty_ga", 5, 5), 10) == ()


def test_resizing_an_owner_without_shards_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no inventory"):
        plan_resize(Stock("tty_ga", {}), 10)


@given(
    shards=st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
        min_size=1,
        max_size=16,
    ),
    new_capacity=st.integers(0, 1000),
)
def test_a_resize_keeps_every_shard_consistent_and_reaches_the_new_capacity(
    shards: list[tuple[int, int, int]], new_capacity: int
) -> None:
    owned = Stock(
        "tty_ga",
        {
            n: Counts(capacity=a + h + s, available=a, held=h, sold=s)
            for n, (a, h, s) in enumerate(shards)
        },
    )
    try:
        changes = plan_resize(owned, new_capacity)
    except CapacityBelowCommitted:
        assert new_capacity < owned.totals.committed
        return

    after = dict(owned.shards)
    for change in changes:
        before = after[change.shard]
        assert change.capacity == before.capacity
        after[change.shard] = before + Counts(capacity=change.delta, available=change.delta)
    assert total(after.values()).capacity == new_capacity
    assert all(counts.consistent for counts in after.values())


# backoff


def test_backoff_is_jittered_under_a_doubling_ceiling_with_a_cap() -> None:
    rng = random.Random(0)
    for attempt in range(12):
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
        pauses = [backoff_seconds(attempt, rng) for _ in range(50)]
        assert all(0 <= pause <= ceiling for pause in pauses)
    assert max(backoff_seconds(30, rng) for _ in range(200)) > BACKOFF_CAP_SECONDS / 2
