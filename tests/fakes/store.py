"""The store, in memory (as adapters/dynamo/store.py): one lock for every commit, so
that a unit of work is as atomic here as a DynamoDB transaction."""

from __future__ import annotations

import threading
from functools import cached_property

from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from tests.fakes.catalog import FakeCatalog, FakeVoucherChanges
from tests.fakes.inventory import FakeInventory, FakeInventoryChanges
from tests.fakes.ledger import FakeLedger, FakeLedgerChanges
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
        self._store = store
        self._transaction = FakeTransaction(store.lock)

    @cached_property
    def outbox(self) -> FakeOutboxChanges:
        return FakeOutboxChanges(self._store.outbox, self._transaction)

    @cached_property
    def tickets(self) -> FakeTicketChanges:
        return FakeTicketChanges(self._store.tickets, self._transaction)

    @cached_property
    def orders(self) -> FakeOrderChanges:
        return FakeOrderChanges(self._store.orders, self._transaction)

    @cached_property
    def standings(self) -> FakeBuyerStandingChanges:
        return FakeBuyerStandingChanges(self._store.orders, self._transaction)

    @cached_property
    def vouchers(self) -> FakeVoucherChanges:
        return FakeVoucherChanges(self._store.catalog, self._transaction)

    @cached_property
    def inventory(self) -> FakeInventoryChanges:
        return FakeInventoryChanges(self._store.inventory, self._transaction)

    @cached_property
    def ledger(self) -> FakeLedgerChanges:
        return FakeLedgerChanges(self._store.ledger, self._transaction)

    @cached_property
    def mints(self) -> FakeMintChanges:
        return FakeMintChanges(self._store.mints, self._transaction)

    def commit(self) -> None:
        self._transaction.commit()


class FakeStore(Store):
    def __init__(self) -> None:
        self.lock = threading.RLock()

    @cached_property
    def outbox(self) -> FakeOutbox:
        return FakeOutbox(self.lock)

    @cached_property
    def tickets(self) -> FakeTickets:
        return FakeTickets()

    @cached_property
    def orders(self) -> FakeOrders:
        return FakeOrders()

    @cached_property
    def order_numbers(self) -> FakeOrderNumbers:
        return FakeOrderNumbers()

    @cached_property
    def inventory(self) -> FakeInventory:
        return FakeInventory()

    @cached_property
    def catalog(self) -> FakeCatalog:
        return FakeCatalog()

    @cached_property
    def ledger(self) -> FakeLedger:
        return FakeLedger()

    @cached_property
    def mints(self) -> FakeMints:
        return FakeMints()

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
