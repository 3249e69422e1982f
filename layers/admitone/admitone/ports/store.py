"""The store: one repository per kind of thing the product keeps, and units of work.

A repository answers reads with domain objects and makes the single-item changes that
stand alone; a change that must hold together with others goes through a unit of work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

# For the annotations only: the store's adapter imports each repository's module when
# it is first used, and so each port's (with the domain modules it speaks in).
if TYPE_CHECKING:
    from admitone.ports.catalog import Catalog
    from admitone.ports.escrows import Escrows
    from admitone.ports.inventory import Inventory
    from admitone.ports.ledger import Ledger
    from admitone.ports.listings import Listings
    from admitone.ports.mints import Mints
    from admitone.ports.orders import OrderNumbers, Orders
    from admitone.ports.outbox import Outbox
    from admitone.ports.payouts import Payouts
    from admitone.ports.stripe_inbox import StripeInbox
    from admitone.ports.tax_records import TaxProfiles, TaxRecords
    from admitone.ports.tickets import Tickets
    from admitone.ports.unit_of_work import UnitOfWork


class Store(ABC):
    # Read-only, so that an adapter may build each repository on first use (a function
    # pays at cold start only for the ones it touches).
    @property
    @abstractmethod
    def outbox(self) -> Outbox: ...

    @property
    @abstractmethod
    def tickets(self) -> Tickets: ...

    @property
    @abstractmethod
    def orders(self) -> Orders: ...

    @property
    @abstractmethod
    def order_numbers(self) -> OrderNumbers: ...

    @property
    @abstractmethod
    def inventory(self) -> Inventory: ...

    @property
    @abstractmethod
    def catalog(self) -> Catalog: ...

    @property
    @abstractmethod
    def ledger(self) -> Ledger: ...

    @property
    @abstractmethod
    def mints(self) -> Mints: ...

    @property
    @abstractmethod
    def listings(self) -> Listings: ...

    @property
    @abstractmethod
    def escrows(self) -> Escrows: ...

    @property
    @abstractmethod
    def stripe_inbox(self) -> StripeInbox: ...

    @property
    @abstractmethod
    def payouts(self) -> Payouts: ...

    @property
    @abstractmethod
    def tax_profiles(self) -> TaxProfiles: ...

    @property
    @abstractmethod
    def tax_records(self) -> TaxRecords: ...

    @abstractmethod
    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work; nothing is written until its ``commit``."""
