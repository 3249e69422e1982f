"""Inventory shards, in memory (as adapters/dynamo/inventory.py)."""

from __future__ import annotations

from dataclasses import replace

from admitone.domain.inventory import Allocation, Counts
from admitone.ports.inventory import InventoryChanges
from tests.fakes.transaction import FakeTransaction

ShardKey = tuple[str, str, int]  # event id, owner id (ticket type or pool), shard


class FakeInventory:
    def __init__(self) -> None:
        self.shards: dict[ShardKey, Counts] = {}


class FakeInventoryChanges(InventoryChanges):
    def __init__(self, inventory: FakeInventory, transaction: FakeTransaction) -> None:
        self._inventory = inventory
        self._transaction = transaction

    def release(self, event_id: str, allocation: Allocation) -> None:
        for owner_id, per_shard in allocation.by_owner().items():
            for shard, quantity in per_shard.items():
                self._stage_release((event_id, owner_id, shard), quantity)

    def _stage_release(self, key: ShardKey, quantity: int) -> None:
        shards = self._inventory.shards

        def holds() -> bool:
            return key in shards and shards[key].held >= quantity

        def apply() -> None:
            counts = shards[key]
            shards[key] = replace(
                counts, held=counts.held - quantity, available=counts.available + quantity
            )

        _, owner_id, shard = key
        self._transaction.stage(f"shard {owner_id}#{shard}", holds=holds, apply=apply)
