"""The store, in memory (as adapters/dynamo/store.py): one lock for every commit, so
that a unit of work is as atomic here as a DynamoDB transaction."""

from __future__ import annotations

import threading

from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from tests.fakes.outbox import FakeOutbox, FakeOutboxChanges
from tests.fakes.tickets import FakeTicketChanges, FakeTickets
from tests.fakes.transaction import FakeTransaction


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: FakeStore) -> None:
        self._transaction = FakeTransaction(store.lock)
        self.outbox = FakeOutboxChanges(store.outbox, self._transaction)
        self.tickets = FakeTicketChanges(store.tickets, self._transaction)

    def commit(self) -> None:
        self._transaction.commit()


class FakeStore(Store):
    outbox: FakeOutbox
    tickets: FakeTickets

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.outbox = FakeOutbox(self.lock)
        self.tickets = FakeTickets()

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
