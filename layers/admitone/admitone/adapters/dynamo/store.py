"""The store on the single DynamoDB table: the repositories and the unit of work.

Each area's module declares its items, its repository (reads and the single-item writes
that stand alone) and its change set (writes staged into a unit of work); this module
composes them. Units of work are one TransactWriteItems each (``transaction.py``).
"""

from __future__ import annotations

from typing import Any

from admitone.adapters.dynamo.catalog import DynamoCatalog
from admitone.adapters.dynamo.inventory import DynamoInventory, DynamoInventoryChanges
from admitone.adapters.dynamo.ledger import DynamoLedger, DynamoLedgerChanges
from admitone.adapters.dynamo.listings import DynamoListingChanges, DynamoListings
from admitone.adapters.dynamo.mints import DynamoMintChanges, DynamoMints
from admitone.adapters.dynamo.orders import (
    DynamoBuyerStandingChanges,
    DynamoOrderChanges,
    DynamoOrderNumbers,
    DynamoOrders,
)
from admitone.adapters.dynamo.outbox import DynamoOutbox, DynamoOutboxChanges
from admitone.adapters.dynamo.tickets import DynamoTicketChanges, DynamoTickets
from admitone.adapters.dynamo.transaction import Transaction
from admitone.adapters.dynamo.vouchers import DynamoVoucherChanges
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork


class DynamoUnitOfWork(UnitOfWork):
    def __init__(self) -> None:
        self._transaction = Transaction()
        self.outbox = DynamoOutboxChanges(self._transaction)
        self.tickets = DynamoTicketChanges(self._transaction)
        self.orders = DynamoOrderChanges(self._transaction)
        self.standings = DynamoBuyerStandingChanges(self._transaction)
        self.vouchers = DynamoVoucherChanges(self._transaction)
        self.inventory = DynamoInventoryChanges(self._transaction)
        self.ledger = DynamoLedgerChanges(self._transaction)
        self.mints = DynamoMintChanges(self._transaction)
        self.listings = DynamoListingChanges(self._transaction)

    def stage_legacy(
        self, name: str, operation: dict[str, Any], *, error: Exception | None = None
    ) -> None:
        """Stage an op dict built by the old op builders beside the change sets' writes.

        For services on the import-linter allow-list until step 2 of the data layer
        (refunds' restock); deleted then."""
        self._transaction.stage(name, operation, error=error)

    def commit(self) -> None:
        self._transaction.commit()


class DynamoStore(Store):
    def __init__(self) -> None:
        self.outbox = DynamoOutbox()
        self.tickets = DynamoTickets()
        self.orders = DynamoOrders()
        self.order_numbers = DynamoOrderNumbers()
        self.inventory = DynamoInventory()
        self.catalog = DynamoCatalog()
        self.ledger = DynamoLedger()
        self.mints = DynamoMints()
        self.listings = DynamoListings()

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork()
