"""The store on the single DynamoDB table: the repositories and the unit of work.

Each area's module declares its items, its repository (reads and the single-item writes
that stand alone) and its change set (writes staged into a unit of work); this module
composes them. Units of work are one TransactWriteItems each (``transaction.py``).

Every function composes the store, and most use one or two of its repositories (a
ticket read uses the tickets and mint records): each repository and change set, and
the module it lives in, is imported and built on first use, so a function's cold start
pays only for the areas it touches (``scripts/bench/coldstart``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from admitone.adapters.dynamo.transaction import Transaction
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from admitone.ports.catalog import Catalog
    from admitone.ports.escrows import EscrowChanges, Escrows
    from admitone.ports.inventory import Inventory, InventoryChanges
    from admitone.ports.ledger import Ledger, LedgerChanges
    from admitone.ports.listings import ListingChanges, Listings
    from admitone.ports.mints import MintChanges, Mints
    from admitone.ports.orders import BuyerStandingChanges, OrderChanges, OrderNumbers, Orders
    from admitone.ports.outbox import Outbox, OutboxChanges
    from admitone.ports.payouts import PayoutChanges, Payouts
    from admitone.ports.stripe_inbox import StripeInbox
    from admitone.ports.tax_records import TaxChanges, TaxProfiles, TaxRecords
    from admitone.ports.tickets import TicketChanges, Tickets
    from admitone.ports.vouchers import VoucherChanges

# The imports inside the properties below are the point of them (see the module docstring).
# ruff: noqa: PLC0415


class DynamoUnitOfWork(UnitOfWork):
    def __init__(self) -> None:
        self._transaction = Transaction()

    @cached_property
    def outbox(self) -> OutboxChanges:
        from admitone.adapters.dynamo.outbox import DynamoOutboxChanges

        return DynamoOutboxChanges(self._transaction)

    @cached_property
    def tickets(self) -> TicketChanges:
        from admitone.adapters.dynamo.tickets import DynamoTicketChanges

        return DynamoTicketChanges(self._transaction)

    @cached_property
    def orders(self) -> OrderChanges:
        from admitone.adapters.dynamo.orders import DynamoOrderChanges

        return DynamoOrderChanges(self._transaction)

    @cached_property
    def standings(self) -> BuyerStandingChanges:
        from admitone.adapters.dynamo.orders import DynamoBuyerStandingChanges

        return DynamoBuyerStandingChanges(self._transaction)

    @cached_property
    def vouchers(self) -> VoucherChanges:
        from admitone.adapters.dynamo.vouchers import DynamoVoucherChanges

        return DynamoVoucherChanges(self._transaction)

    @cached_property
    def inventory(self) -> InventoryChanges:
        from admitone.adapters.dynamo.inventory import DynamoInventoryChanges

        return DynamoInventoryChanges(self._transaction)

    @cached_property
    def ledger(self) -> LedgerChanges:
        from admitone.adapters.dynamo.ledger import DynamoLedgerChanges

        return DynamoLedgerChanges(self._transaction)

    @cached_property
    def mints(self) -> MintChanges:
        from admitone.adapters.dynamo.mints import DynamoMintChanges

        return DynamoMintChanges(self._transaction)

    @cached_property
    def listings(self) -> ListingChanges:
        from admitone.adapters.dynamo.listings import DynamoListingChanges

        return DynamoListingChanges(self._transaction)

    @cached_property
    def escrows(self) -> EscrowChanges:
        from admitone.adapters.dynamo.escrows import DynamoEscrowChanges

        return DynamoEscrowChanges(self._transaction)

    @cached_property
    def tax(self) -> TaxChanges:
        from admitone.adapters.dynamo.tax_records import DynamoTaxChanges

        return DynamoTaxChanges(self._transaction)

    @cached_property
    def payouts(self) -> PayoutChanges:
        from admitone.adapters.dynamo.payouts import DynamoPayoutChanges

        return DynamoPayoutChanges(self._transaction)

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
    @cached_property
    def outbox(self) -> Outbox:
        from admitone.adapters.dynamo.outbox import DynamoOutbox

        return DynamoOutbox()

    @cached_property
    def tickets(self) -> Tickets:
        from admitone.adapters.dynamo.tickets import DynamoTickets

        return DynamoTickets()

    @cached_property
    def orders(self) -> Orders:
        from admitone.adapters.dynamo.orders import DynamoOrders

        return DynamoOrders()

    @cached_property
    def order_numbers(self) -> OrderNumbers:
        from admitone.adapters.dynamo.orders import DynamoOrderNumbers

        return DynamoOrderNumbers()

    @cached_property
    def inventory(self) -> Inventory:
        from admitone.adapters.dynamo.inventory import DynamoInventory

        return DynamoInventory()

    @cached_property
    def catalog(self) -> Catalog:
        from admitone.adapters.dynamo.catalog import DynamoCatalog

        return DynamoCatalog()

    @cached_property
    def ledger(self) -> Ledger:
        from admitone.adapters.dynamo.ledger import DynamoLedger

        return DynamoLedger()

    @cached_property
    def mints(self) -> Mints:
        from admitone.adapters.dynamo.mints import DynamoMints

        return DynamoMints()

    @cached_property
    def listings(self) -> Listings:
        from admitone.adapters.dynamo.listings import DynamoListings

        return DynamoListings()

    @cached_property
    def escrows(self) -> Escrows:
        from admitone.adapters.dynamo.escrows import DynamoEscrows

        return DynamoEscrows()

    @cached_property
    def stripe_inbox(self) -> StripeInbox:
        from admitone.adapters.dynamo.stripe_inbox import DynamoStripeInbox

        return DynamoStripeInbox()

    @cached_property
    def tax_profiles(self) -> TaxProfiles:
        from admitone.adapters.dynamo.tax_records import DynamoTaxProfiles

        return DynamoTaxProfiles()

    @cached_property
    def tax_records(self) -> TaxRecords:
        from admitone.adapters.dynamo.tax_records import DynamoTaxRecords

        return DynamoTaxRecords()

    @cached_property
    def payouts(self) -> Payouts:
        from admitone.adapters.dynamo.payouts import DynamoPayouts

        return DynamoPayouts()

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork()
