"""The store, in memory (as adapters/dynamo/store.py): one lock for every commit, so
that a unit of work is as atomic here as a DynamoDB transaction."""

from __future__ import annotations

import threading

from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from tests.fakes.catalog import FakeCatalog, FakeVoucherChanges
from tests.fakes.escrows import FakeEscrowChanges, FakeEscrows
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
from tests.fakes.payouts import FakePayoutChanges, FakePayouts
from tests.fakes.stripe_inbox import FakeStripeInbox
from tests.fakes.tax_records import FakeTaxChanges, FakeTaxProfiles, FakeTaxRecords
from tests.fakes.tickets import FakeTicketChanges, FakeTickets
from tests.fakes.transaction import FakeTransaction


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: FakeStore) -> None:
        self._transaction = FakeTransaction(store.lock)
        self._outbox = FakeOutboxChanges(store.outbox, self._transaction)
        self._tickets = FakeTicketChanges(store.tickets, self._transaction)
        self._orders = FakeOrderChanges(store.orders, self._transaction)
        self._standings = FakeBuyerStandingChanges(store.orders, self._transaction)
        self._vouchers = FakeVoucherChanges(store.catalog, self._transaction)
        self._inventory = FakeInventoryChanges(store.inventory, self._transaction)
        self._ledger = FakeLedgerChanges(store.ledger, self._transaction)
        self._mints = FakeMintChanges(store.mints, self._transaction)
        self._listings = FakeListingChanges(store.listings, store.tickets, self._transaction)
        self._escrows = FakeEscrowChanges(store.escrows, self._transaction)
        self._tax = FakeTaxChanges(store.tax_records, self._transaction)
        self._payouts = FakePayoutChanges(store.payouts, self._transaction)

    @property
    def outbox(self) -> FakeOutboxChanges:
        return self._outbox

    @property
    def tickets(self) -> FakeTicketChanges:
        return self._tickets

    @property
    def orders(self) -> FakeOrderChanges:
        return self._orders

    @property
    def standings(self) -> FakeBuyerStandingChanges:
        return self._standings

    @property
    def vouchers(self) -> FakeVoucherChanges:
        return self._vouchers

    @property
    def inventory(self) -> FakeInventoryChanges:
        return self._inventory

    @property
    def ledger(self) -> FakeLedgerChanges:
        return self._ledger

    @property
    def mints(self) -> FakeMintChanges:
        return self._mints

    @property
    def listings(self) -> FakeListingChanges:
        return self._listings

    @property
    def escrows(self) -> FakeEscrowChanges:
        return self._escrows

    @property
    def tax(self) -> FakeTaxChanges:
        return self._tax

    @property
    def payouts(self) -> FakePayoutChanges:
        return self._payouts

    def commit(self) -> None:
        self._transaction.commit()


class FakeStore(Store):
    # Every repository is built with the store (not on first use, as the DynamoDB
    # adapter's are): two threads touching a repository for the first time at once must
    # not each get one of their own.
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._outbox = FakeOutbox(self.lock)
        self._tickets = FakeTickets()
        self._orders = FakeOrders()
        self._order_numbers = FakeOrderNumbers()
        self._inventory = FakeInventory()
        self._catalog = FakeCatalog()
        self._ledger = FakeLedger()
        self._mints = FakeMints()
        self._listings = FakeListings()
        self._escrows = FakeEscrows()
        self._stripe_inbox = FakeStripeInbox(self.lock)
        self._tax_profiles = FakeTaxProfiles(self.lock)
        self._tax_records = FakeTaxRecords()
        self._payouts = FakePayouts()

    @property
    def outbox(self) -> FakeOutbox:
        return self._outbox

    @property
    def tickets(self) -> FakeTickets:
        return self._tickets

    @property
    def orders(self) -> FakeOrders:
        return self._orders

    @property
    def order_numbers(self) -> FakeOrderNumbers:
        return self._order_numbers

    @property
    def inventory(self) -> FakeInventory:
        return self._inventory

    @property
    def catalog(self) -> FakeCatalog:
        return self._catalog

    @property
    def ledger(self) -> FakeLedger:
        return self._ledger

    @property
    def mints(self) -> FakeMints:
        return self._mints

    @property
    def listings(self) -> FakeListings:
        return self._listings

    @property
    def escrows(self) -> FakeEscrows:
        return self._escrows

    @property
    def stripe_inbox(self) -> FakeStripeInbox:
        return self._stripe_inbox

    @property
    def tax_profiles(self) -> FakeTaxProfiles:
        return self._tax_profiles

    @property
    def tax_records(self) -> FakeTaxRecords:
        return self._tax_records

    @property
    def payouts(self) -> FakePayouts:
        return self._payouts

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
