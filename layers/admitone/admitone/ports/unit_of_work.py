"""One all-or-nothing change to the store, said in domain terms.

A use case takes a unit of work from the store, tells its change sets what changes
(``uow.orders.place(order, limit=...)``, ``uow.outbox.announce(...)``), then commits:
every staged write lands, or none does. Each staged write carries the domain error its
condition stands for (the buyer is over the limit, the voucher is used up, the order
moved on meanwhile); when a condition fails, ``commit`` raises the error of the first
failing write, in the order they were staged. A write staged without one raises
``ChangeRefused``: its condition failing means the caller read wrongly, a bug. Another
writer on the same items at the same moment (or a throttle) raises
``domain.errors.Contention``: nothing was written and the same change may be retried.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.ports.buyers import StandingChanges
from admitone.ports.inventory import InventoryChanges
from admitone.ports.mints import MintChanges
from admitone.ports.orders import OrderChanges
from admitone.ports.outbox import OutboxChanges
from admitone.ports.tickets import TicketChanges
from admitone.ports.vouchers import VoucherChanges


class ChangeRefused(Exception):
    """A staged write's condition failed and no domain error was staged with it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the change was refused at {name!r}")
        self.name = name


class UnitOfWork(ABC):
    inventory: InventoryChanges
    orders: OrderChanges
    outbox: OutboxChanges
    standings: StandingChanges
    tickets: TicketChanges
    vouchers: VoucherChanges
    mints: MintChanges

    @abstractmethod
    def commit(self) -> None:
        """Apply every staged write, or none (see the module docstring)."""
