"""The inventory port: units move between available, held and sold one shard write at a
time, never below zero; a refusal hands back the shard's counts as they were."""

from __future__ import annotations

import pytest

from admitone.domain.inventory import Allocation, Amounts, Counts, LineHold, Take
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from tests.integration.ports.given import shards

EVENT = "evt_1"


def _takes(*per_shard: tuple[int, int]) -> Allocation:
    quantity = sum(q for _, q in per_shard)
    return Allocation((LineHold("tty_ga", quantity, tuple(Take(s, q) for s, q in per_shard)),))


def test_a_hold_converts_to_sold_with_its_money_on_the_first_shard(store: Store):
    shards(store, EVENT, "tty_ga", 10, 2)
    allocation = _takes((0, 2), (1, 1))
    uow = store.unit_of_work()
    uow.inventory.hold(EVENT, allocation)
    uow.commit()
    held = store.inventory.of_owner(EVENT, "tty_ga")
    assert (held.totals.available, held.totals.held) == (7, 3)

    uow = store.unit_of_work()
    uow.inventory.convert(EVENT, allocation, {"tty_ga": Amounts(gross_cents=300, fee_cents=30)})
    uow.commit()
    sold = store.inventory.of_owner(EVENT, "tty_ga")
    assert sold.shards[0] == Counts(capacity=5, available=3, sold=2, gross_cents=300, fee_cents=30)
    assert sold.shards[1] == Counts(capacity=5, available=4, sold=1)


def test_release_sell_and_restock_move_the_units_back_and_forth(store: Store):
    shards(store, EVENT, "tty_ga", 4)
    allocation = _takes((0, 2))
    for move in ("hold", "release", "sell", "restock"):
        uow = store.unit_of_work()
        getattr(uow.inventory, move)(EVENT, allocation)
        uow.commit()
    assert store.inventory.of_owner(EVENT, "tty_ga").shards[0] == Counts(capacity=4, available=4)


def test_taking_more_than_a_shard_has_is_refused_with_its_counts_and_nothing_moves(
    store: Store,
):
    shards(store, EVENT, "tty_ga", 4, 2)
    uow = store.unit_of_work()
    staged = uow.inventory.hold(EVENT, _takes((0, 1), (1, 3)))
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert [s.name for s in staged] == ["shard tty_ga#0", "shard tty_ga#1"]
    assert not refused.value.refused(staged[0])
    assert refused.value.as_was(staged[1]) == Counts(capacity=2, available=2)
    assert store.inventory.of_owner(EVENT, "tty_ga").totals == Counts(capacity=4, available=4)


def test_a_release_of_units_never_held_is_refused(store: Store):
    shards(store, EVENT, "tty_ga", 4)
    uow = store.unit_of_work()
    uow.inventory.release(EVENT, _takes((0, 1)))
    with pytest.raises(ChangeRefused):
        uow.commit()


def test_a_refusal_names_every_failed_write_and_nothing_lands(store: Store):
    shards(store, EVENT, "tty_ga", 1)
    uow = store.unit_of_work()
    shard = uow.inventory.hold(EVENT, _takes((0, 2)))
    missing = uow.standings.give_back("usr_1", EVENT, 1)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert list(refused.value.failed) == [shard[0].name, missing.name]
    assert store.inventory.of_owner(EVENT, "tty_ga").shards[0] == Counts(capacity=1, available=1)
