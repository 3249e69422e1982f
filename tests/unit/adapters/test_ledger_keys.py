"""The ledger's key shapes: shards in the partition key, taken in turn (issue 18)."""

import threading
from collections import Counter

from admitone.adapters.dynamo import keys


def test_a_balance_shard_is_a_partition_of_its_own():
    first, second = keys.account_balance("a", 0), keys.account_balance("a", 1)
    assert first["PK"] != second["PK"]
    assert first["PK"] == "BALANCE#a#00"


def test_write_shards_are_taken_in_turn_so_threads_spread_evenly():
    taken: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [keys.write_shard(32) for _ in range(320)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(Counter(taken).values()) == {40}


def test_an_events_paid_orders_take_its_shards_in_turn():
    partitions = [
        keys.paid_order_of_event("evt", f"ord{n}")["PK"] for n in range(keys.EVENT_ORDER_SHARDS)
    ]
    assert sorted(partitions) == sorted(keys.paid_order_lists("evt"))
    assert len(set(partitions)) == keys.EVENT_ORDER_SHARDS
    # another event's payments in between take none of this event's turns
    keys.paid_order_of_event("evt_other", "ord_x")
    shards = keys.EVENT_ORDER_SHARDS
    assert len({keys.paid_order_of_event("evt", f"o{n}")["PK"] for n in range(shards)}) == shards


def test_a_venue_balance_shard_is_listed_in_the_list_of_its_number():
    assert keys.venue_balances("v", 33) == keys.venue_balances("v", 1)
    assert keys.venue_balances("v", 1) in keys.venue_balance_lists("v")
    assert keys.venue_ledger("v", 5) in keys.venue_ledgers("v")


def test_each_list_takes_its_own_turns_so_interleaved_writers_skip_no_shard():
    """A payment books onto several accounts in the same order each time: with one
    sequence for all, two accounts taken alternately would each see every other shard."""
    clearing: list[int] = []
    for _ in range(64):
        clearing.append(keys.write_shard(64, of="clearing"))
        keys.write_shard(64, of="revenue")
    assert sorted(clearing) == list(range(64))
