"""The store, in memory (as adapters/dynamo/store.py): one lock for every commit, so
that a unit of work is as atomic here as a DynamoDB transaction."""

from __future__ import annotations

import threading
from dataclasses import replace

from admitone.domain.catalog import Voucher, VoucherKind
from admitone.domain.inventory import Counts
from admitone.domain.orders import Order
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from tests.fakes.inventory import FakeInventory, FakeInventoryChanges
from tests.fakes.mints import FakeMintChanges, FakeMints
from tests.fakes.orders import FakeOrderChanges, FakeOrders, FakeStandingChanges, FakeStandings
from tests.fakes.outbox import FakeOutbox, FakeOutboxChanges
from tests.fakes.tickets import FakeTicketChanges, FakeTickets
from tests.fakes.transaction import FakeTransaction
from tests.fakes.vouchers import FakeVoucherChanges, FakeVouchers


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: FakeStore) -> None:
        self._transaction = FakeTransaction(store.lock)
        self.inventory = FakeInventoryChanges(store.inventory, self._transaction)
        self.orders = FakeOrderChanges(store.orders, self._transaction)
        self.outbox = FakeOutboxChanges(store.outbox, self._transaction)
        self.standings = FakeStandingChanges(store.standings, self._transaction)
        self.tickets = FakeTicketChanges(store.tickets, self._transaction)
        self.vouchers = FakeVoucherChanges(store.vouchers, self._transaction)
        self.mints = FakeMintChanges(store.mints, self._transaction)

    def commit(self) -> None:
        self._transaction.commit()


class FakeStore(Store):
    orders: FakeOrders
    outbox: FakeOutbox
    tickets: FakeTickets
    mints: FakeMints

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orders = FakeOrders()
        self.outbox = FakeOutbox(self.lock)
        self.tickets = FakeTickets()
        # Kept in memory for the change sets; reads of them are not on the ports yet.
        self.inventory = FakeInventory()
        self.standings = FakeStandings()
        self.vouchers = FakeVouchers()
        self.mints = FakeMints()

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def add_held_order(self, order: Order, *, shard_capacity: int = 10) -> None:
        """An order as placing leaves it (placing is not on the ports yet): its units
        held on the shards of its allocation (each of ``shard_capacity``), the buyer's
        allowance taken, its voucher code (if any) used once for its discount."""
        self.orders.add(order)
        standing = (order.buyer_id, order.event_id)
        self.standings.tickets[standing] = self.standings.tickets.get(standing, 0) + order.quantity
        for owner_id, per_shard in order.allocation.by_owner().items():
            for shard, quantity in per_shard.items():
                key = (order.event_id, owner_id, shard)
                counts = self.inventory.shards.get(key, Counts(shard_capacity, shard_capacity))
                self.inventory.shards[key] = Counts(
                    capacity=counts.capacity,
                    available=counts.available - quantity,
                    held=counts.held + quantity,
                    sold=counts.sold,
                )
        if order.voucher_code:
            code = (order.event_id, order.voucher_code)
            voucher = self.vouchers.by_code.get(code) or Voucher(
                event_id=order.event_id,
                code=order.voucher_code,
                kind=VoucherKind.FIXED,
                value=order.totals.discount,
            )
            self.vouchers.add(
                replace(
                    voucher,
                    uses=voucher.uses + 1,
                    spent_cents=voucher.spent_cents + order.totals.discount,
                )
            )
