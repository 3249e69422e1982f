"""Inventory shards: reading a ticket type's or pool's, and the moves of units between
available, held and sold a unit of work stages, one write per shard touched."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from admitone.domain.inventory import Allocation, Amounts, Counts, Stock
from admitone.ports.staging import Staged

ShardWrites = list[Staged[Counts]]
# Ticket type or pool id -> how many shards it has, as its catalog item says (``None``:
# the caller does not know; every shard number an owner may have is asked for).
ShardCounts = Mapping[str, int | None]


class Inventory(ABC):
    @abstractmethod
    def of_owners(self, event_id: str, owners: ShardCounts) -> dict[str, Stock]:
        """The shards of every owner in ``owners``, read consistently in as few requests
        as the store needs (each shard is an item of its own); an owner without shards
        has an empty ``Stock``."""

    def of_owner(self, event_id: str, owner_id: str, shards: int | None = None) -> Stock:
        """One ticket type's or pool's shards, read consistently (none: no shards)."""
        return self.of_owners(event_id, {owner_id: shards})[owner_id]


class InventoryChanges(ABC):
    """Each shard's write is staged under ``shard <owner>#<n>`` and conditioned on the
    counter it takes from; refused, it hands back the shard's ``Counts`` as they were.
    ``amounts[ticket_type_id]`` goes on that type's first shard (pools keep counts only)."""

    @abstractmethod
    def hold(self, event_id: str, allocation: Allocation) -> ShardWrites:
        """available -> held."""

    @abstractmethod
    def release(self, event_id: str, allocation: Allocation) -> ShardWrites:
        """held -> available (a hold expired or was cancelled)."""

    @abstractmethod
    def convert(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        """held -> sold, the sale's money added to the statistics (an order paid)."""

    @abstractmethod
    def sell(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        """available -> sold (a late payment re-takes its seats)."""

    @abstractmethod
    def restock(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        """sold -> available, ``amounts`` subtracted (a refund puts seats back on sale)."""
