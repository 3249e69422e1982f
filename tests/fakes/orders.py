"""Orders and buyers' standings, in memory (as adapters/dynamo/orders.py)."""

from __future__ import annotations

from datetime import datetime

from admitone.domain.orders import Order, OrderStatus, ended_unpaid
from admitone.ports.buyers import StandingChanges
from admitone.ports.orders import OrderChanges, OrderMovedOn, Orders
from tests.fakes.transaction import FakeTransaction


class FakeOrders(Orders):
    def __init__(self) -> None:
        self.by_id: dict[str, Order] = {}

    def get(self, order_id: str) -> Order | None:
        return self.by_id.get(order_id)

    def held_past(self, moment: datetime, *, limit: int) -> list[str]:
        overdue = sorted(
            (order.hold_expires_at, order.id)
            for order in self.by_id.values()
            if order.status is OrderStatus.PENDING_PAYMENT and order.hold_expires_at < moment
        )
        return [order_id for _, order_id in overdue[:limit]]

    def add(self, order: Order) -> None:
        """An order as placing stores it (placing is not on the port yet)."""
        self.by_id[order.id] = order


class FakeOrderChanges(OrderChanges):
    def __init__(self, orders: FakeOrders, transaction: FakeTransaction) -> None:
        self._orders = orders
        self._transaction = transaction

    def end_hold(self, order: Order, target: OrderStatus, *, reason: str, now: datetime) -> Order:
        ended = ended_unpaid(order, target, reason=reason)

        def as_read() -> bool:
            stored = self._orders.get(order.id)
            return stored is not None and (stored.status, stored.version) == (
                order.status,
                order.version,
            )

        def apply() -> None:
            self._orders.by_id[order.id] = ended

        self._transaction.stage(
            f"order {order.id}", holds=as_read, apply=apply, error=OrderMovedOn(order.id)
        )
        return ended


class FakeStandings:
    """Tickets each buyer holds or owns per event."""

    def __init__(self) -> None:
        self.tickets: dict[tuple[str, str], int] = {}


class FakeStandingChanges(StandingChanges):
    def __init__(self, standings: FakeStandings, transaction: FakeTransaction) -> None:
        self._standings = standings
        self._transaction = transaction

    def give_back(self, buyer_id: str, event_id: str, quantity: int) -> None:
        key = (buyer_id, event_id)

        def apply() -> None:
            self._standings.tickets[key] -= quantity

        self._transaction.stage(
            f"standing {buyer_id}@{event_id}",
            holds=lambda: self._standings.tickets.get(key, 0) >= quantity,
            apply=apply,
        )
