"""The store, in memory (as adapters/dynamo/store.py): one lock for every commit, so
that a unit of work is as atomic here as a DynamoDB transaction."""

from __future__ import annotations

import threading

from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from tests.fakes.catalog import FakeCatalog, FakeVoucherChanges
from tests.fakes.inventory import FakeInventory, FakeInventoryChanges
from tests.fakes.ledger import FakeLedger, FakeLedgerChanges
from tests.fakes.listings import FakeListingChanges, FakeListings
from tests.fakes.mints import FakeMintChanges, FakeMints
from tests.fakes.orders import (
    FakeBuyerStandingChanges,
    FakeOrderChanges,
    FakeOrderNumbers,
    FakeOrders,
)
from tests.fakes.outbox import FakeOutbox, FakeOutboxChanges
from tests.fakes.tickets import FakeTicketChanges, FakeTickets
from tests.fakes.transaction import FakeTransaction


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: FakeStore) -> None:
        self._transaction = FakeTransaction(store.lock)
        self.outbox = FakeOutboxChanges(store.outbox, self._transaction)
        self.tickets = FakeTicketChanges(store.tickets, self._transaction)
        self.orders = FakeOrderChanges(store.orders, self._transaction)
        self.standings = FakeBuyerStandingChanges(store.orders, self._transaction)
        self.vouchers = FakeVoucherChanges(store.catalog, self._transaction)
        self.inventory = FakeInventoryChanges(store.inventory, self._transaction)
        self.ledger = FakeLedgerChanges(store.ledger, self._transaction)
        self.mints = FakeMintChanges(store.mints, self._transaction)
        self.listings = FakeListingChanges(store.listings, store.tickets, self._transaction)

    def commit(self) -> None:
        self._transaction.commit()


class FakeStore(Store):
    outbox: FakeOutbox
    tickets: FakeTickets
    orders: FakeOrders
    order_numbers: FakeOrderNumbers
    inventory: FakeInventory
    catalog: FakeCatalog
    ledger: FakeLedger
    mints: FakeMints
    listings: FakeListings

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.outbox = FakeOutbox(self.lock)
        self.tickets = FakeTickets()
        self.orders = FakeOrders()
        self.order_numbers = FakeOrderNumbers()
        self.inventory = FakeInventory()
        self.catalog = FakeCatalog()
        self.ledger = FakeLedger()
        self.mints = FakeMints()
        self.listings = FakeListings()

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
