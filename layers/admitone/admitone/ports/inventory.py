"""Inventory: the changes to a ticket type's (and pool's) shards a unit of work stages."""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.inventory import Allocation


class InventoryChanges(ABC):
    @abstractmethod
    def release(self, event_id: str, allocation: Allocation) -> None:
        """Stage the units of ``allocation`` going from held back to available, one write
        per shard. A shard holding fewer than the allocation says means the allocation
        is wrong (a double release): the commit raises ``ChangeRefused``, a bug."""
