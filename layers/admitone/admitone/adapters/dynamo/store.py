"""The store on the single DynamoDB table: the repositories and the unit of work.

Each area's module declares its items (pynamodb models), its repository (reads and the
single-item writes that stand alone) and its change set (writes staged into a unit of
work); this module composes them. Units of work are one TransactWriteItems each
(``transaction.py``).
"""

from __future__ import annotations

from admitone.adapters.dynamo.inventory import DynamoInventoryChanges
from admitone.adapters.dynamo.mints import DynamoMintChanges, DynamoMints
from admitone.adapters.dynamo.orders import DynamoOrderChanges, DynamoOrders, DynamoStandingChanges
from admitone.adapters.dynamo.outbox import DynamoOutbox, DynamoOutboxChanges
from admitone.adapters.dynamo.tickets import DynamoTicketChanges, DynamoTickets
from admitone.adapters.dynamo.transaction import Transaction
from admitone.adapters.dynamo.vouchers import DynamoVoucherChanges
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork


class DynamoUnitOfWork(UnitOfWork):
    def __init__(self) -> None:
        self._transaction = Transaction()
        self.inventory = DynamoInventoryChanges(self._transaction)
        self.orders = DynamoOrderChanges(self._transaction)
        self.outbox = DynamoOutboxChanges(self._transaction)
        self.standings = DynamoStandingChanges(self._transaction)
        self.tickets = DynamoTicketChanges(self._transaction)
        self.vouchers = DynamoVoucherChanges(self._transaction)
        self.mints = DynamoMintChanges(self._transaction)

    def commit(self) -> None:
        self._transaction.commit()


class DynamoStore(Store):
    def __init__(self) -> None:
        self.orders = DynamoOrders()
        self.outbox = DynamoOutbox()
        self.tickets = DynamoTickets()
        self.mints = DynamoMints()

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork()
