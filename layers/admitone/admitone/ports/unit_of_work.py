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
from typing import TYPE_CHECKING

from admitone.ports.staging import ChangeRefused, Staged

# For the annotations only: the adapter imports each change set's module when it is
# first staged into, and so each port's (with the domain modules it speaks in).
if TYPE_CHECKING:
    from admitone.ports.escrows import EscrowChanges
    from admitone.ports.inventory import InventoryChanges
    from admitone.ports.ledger import LedgerChanges
    from admitone.ports.listings import ListingChanges
    from admitone.ports.mints import MintChanges
    from admitone.ports.orders import BuyerStandingChanges, OrderChanges
    from admitone.ports.outbox import OutboxChanges
    from admitone.ports.payouts import PayoutChanges
    from admitone.ports.tax_records import TaxChanges
    from admitone.ports.tickets import TicketChanges
    from admitone.ports.vouchers import VoucherChanges

__all__ = ["ChangeRefused", "Staged", "UnitOfWork"]


class UnitOfWork(ABC):
    # Read-only, so that an adapter may create each change set when it is first staged into.
    @property
    @abstractmethod
    def outbox(self) -> OutboxChanges: ...

    @property
    @abstractmethod
    def tickets(self) -> TicketChanges: ...

    @property
    @abstractmethod
    def orders(self) -> OrderChanges: ...

    @property
    @abstractmethod
    def standings(self) -> BuyerStandingChanges: ...

    @property
    @abstractmethod
    def vouchers(self) -> VoucherChanges: ...

    @property
    @abstractmethod
    def inventory(self) -> InventoryChanges: ...

    @property
    @abstractmethod
    def ledger(self) -> LedgerChanges: ...

    @property
    @abstractmethod
    def mints(self) -> MintChanges: ...

    @property
    @abstractmethod
    def listings(self) -> ListingChanges: ...

    @property
    @abstractmethod
    def escrows(self) -> EscrowChanges: ...

    @property
    @abstractmethod
    def tax(self) -> TaxChanges: ...

    @property
    @abstractmethod
    def payouts(self) -> PayoutChanges: ...

    @abstractmethod
    def commit(self) -> None:
        """Apply every staged write, or none (see the module docstring)."""
