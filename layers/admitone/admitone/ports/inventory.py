"""Inventory shards: reading a ticket type's or pool's, and the moves of units between
available, held and sold a unit of work stages, one write per shard touched."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from admitone.domain.inventory import Allocation, Amounts, Counts, Stock
from admitone.ports.staging import Staged

ShardWrites = list[Staged[Counts]]


class Inventory(ABC):
    @abstractmethod
    def of_owner(self, event_id: str, owner_id: str) -> Stock:
        """One ticket type's or pool's shards, read consistently (none: no shards)."""


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
