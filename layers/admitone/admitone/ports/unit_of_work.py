"""One all-or-nothing change to the store, said in domain terms.

A use case takes a unit of work from the store, tells its change sets what changes
(``uow.orders.place(order)``, ``uow.standings.take(order, limit=...)``,
``uow.outbox.announce(...)``), then commits: every staged write lands, or none does.

Every staged write has a name, and each change set method returns the ``Staged`` handle
of what it staged. When a condition fails, ``commit`` raises ``ChangeRefused`` carrying
every failed write by name with the item as it was when the condition failed (decoded
into its domain object by the change set that staged it; None when there was no item),
so a use case tells "over the limit" from "cooling down" without reading again. A write
staged with a domain error of its own (``TicketChanges.void``: ``Conflict``) raises
that error instead, when it is the first to fail in staging order, with the
``ChangeRefused`` as its cause. Another writer on the same items at the same moment (or
a throttle) raises ``domain.errors.Contention``: nothing was written and the same
change may be retried.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.ports.inventory import InventoryChanges
from admitone.ports.ledger import LedgerChanges
from admitone.ports.listings import ListingChanges
from admitone.ports.mints import MintChanges
from admitone.ports.orders import BuyerStandingChanges, OrderChanges
from admitone.ports.outbox import OutboxChanges
from admitone.ports.staging import ChangeRefused, Staged
from admitone.ports.tickets import TicketChanges
from admitone.ports.vouchers import VoucherChanges

__all__ = ["ChangeRefused", "Staged", "UnitOfWork"]


class UnitOfWork(ABC):
    outbox: OutboxChanges
    tickets: TicketChanges
    orders: OrderChanges
    standings: BuyerStandingChanges
    vouchers: VoucherChanges
    inventory: InventoryChanges
    ledger: LedgerChanges
    mints: MintChanges
    listings: ListingChanges

    @abstractmethod
    def commit(self) -> None:
        """Apply every staged write, or none (see the module docstring)."""
