"""The store: one repository per kind of thing the product keeps, and units of work.

A repository answers reads with domain objects and makes the single-item changes that
stand alone; a change that must hold together with others goes through a unit of work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.ports.catalog import Catalog
from admitone.ports.inventory import Inventory
from admitone.ports.ledger import Ledger
from admitone.ports.listings import Listings
from admitone.ports.mints import Mints
from admitone.ports.orders import OrderNumbers, Orders
from admitone.ports.outbox import Outbox
from admitone.ports.tickets import Tickets
from admitone.ports.unit_of_work import UnitOfWork


class Store(ABC):
    outbox: Outbox
    tickets: Tickets
    orders: Orders
    order_numbers: OrderNumbers
    inventory: Inventory
    catalog: Catalog
    ledger: Ledger
    mints: Mints
    listings: Listings

    @abstractmethod
    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work; nothing is written until its ``commit``."""
