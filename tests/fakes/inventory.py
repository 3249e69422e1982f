"""Inventory shards, in memory (as adapters/dynamo/inventory.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from admitone.domain.inventory import Allocation, Amounts, Counts, Stock, shard_capacities
from admitone.ports.inventory import Inventory, InventoryChanges, ShardCounts, ShardWrites
from admitone.ports.staging import Staged
from tests.fakes.transaction import FakeTransaction

_MONEY = ("gross_cents", "discount_cents", "fee_cents")


class FakeInventory(Inventory):
    def __init__(self) -> None:
        self.shards: dict[tuple[str, str, int], Counts] = {}

    def create(self, event_id: str, owner_id: str, capacity: int, shards: int = 1) -> None:
        """Shards as creating a ticket type or pool stores them."""
        for number, share in enumerate(shard_capacities(capacity, shards)):
            self.shards[(event_id, owner_id, number)] = Counts(capacity=share, available=share)

    def of_owners(self, event_id: str, owners: ShardCounts) -> dict[str, Stock]:
        return {
            owner_id: Stock(
                owner_id,
                {
                    n: c
                    for (e, o, n), c in self.shards.items()
                    if (e, o) == (event_id, owner_id) and (count is None or n < count)
                },
            )
            for owner_id, count in owners.items()
        }


class FakeInventoryChanges(InventoryChanges):
    def __init__(self, inventory: FakeInventory, transaction: FakeTransaction) -> None:
        self._inventory = inventory
        self._transaction = transaction

    def _move(
        self,
        event_id: str,
        allocation: Allocation,
        amounts: Mapping[str, Amounts] | None,
        *,
        source: str,
        target: str,
        sign: int = 1,
    ) -> ShardWrites:
        staged: ShardWrites = []
        for owner_id, per_shard in allocation.by_owner().items():
            money = (amounts or {}).get(owner_id)
            for shard, quantity in sorted(per_shard.items()):
                if quantity < 1:
                    raise ValueError(f"cannot move {quantity} units")
                key = (event_id, owner_id, shard)
                name = f"shard {owner_id}#{shard}"
                staged.append(Staged(name))
                self._transaction.stage(
                    name,
                    holds=lambda key=key, quantity=quantity: (
                        key in self._inventory.shards
                        and getattr(self._inventory.shards[key], source) >= quantity
                    ),
                    apply=lambda key=key, quantity=quantity, money=money: self._apply(
                        key, quantity, source=source, target=target, money=money, sign=sign
                    ),
                    as_was=lambda key=key: self._inventory.shards.get(key),
                )
                money = None
        return staged

    def _apply(
        self,
        key: tuple[str, str, int],
        quantity: int,
        *,
        source: str,
        target: str,
        money: Amounts | None,
        sign: int,
    ) -> None:
        counts = self._inventory.shards[key]
        changes = {
            source: getattr(counts, source) - quantity,
            target: getattr(counts, target) + quantity,
        }
        if money is not None:
            for name in _MONEY:
                changes[name] = getattr(counts, name) + sign * getattr(money, name)
        self._inventory.shards[key] = replace(counts, **changes)

    def hold(self, event_id: str, allocation: Allocation) -> ShardWrites:
        return self._move(event_id, allocation, None, source="available", target="held")

    def release(self, event_id: str, allocation: Allocation) -> ShardWrites:
        return self._move(event_id, allocation, None, source="held", target="available")

    def convert(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._move(event_id, allocation, amounts, source="held", target="sold")

    def sell(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._move(event_id, allocation, amounts, source="available", target="sold")

    def restock(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._move(event_id, allocation, amounts, source="sold", target="available", sign=-1)
