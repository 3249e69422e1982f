"""Orders, order numbers and buyer standings, in memory (as adapters/dynamo/orders.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from admitone.domain.inventory import Allocation
from admitone.domain.orders import BuyerStanding, Order, OrderStatus, PaymentStatus
from admitone.ports.orders import BuyerStandingChanges, OrderChanges, OrderNumbers, Orders
from admitone.ports.staging import Staged
from tests.fakes.transaction import FakeTransaction


def _epoch(moment: datetime) -> int:
    # The table keeps a cooldown to the second (``cooldown_until_epoch``).
    return int(moment.timestamp())


class FakeOrders(Orders):
    def __init__(self) -> None:
        self.by_id: dict[str, Order] = {}
        self.standings: dict[tuple[str, str], BuyerStanding] = {}
        self.paid_of_event: set[tuple[str, str]] = set()

    def add(self, order: Order) -> None:
        """An order as placing stores it."""
        self.by_id[order.id] = order

    def get(self, order_id: str, *, consistent: bool = True) -> Order | None:
        return self.by_id.get(order_id)

    def page_of_buyer(
        self, buyer_id: str, *, limit: int, start_key: Mapping[str, str] | None
    ) -> tuple[list[Order], dict[str, str] | None]:
        mine = sorted(
            (o for o in self.by_id.values() if o.buyer_id == buyer_id),
            key=lambda o: (o.created_at, o.id),
            reverse=True,
        )
        if start_key:
            after = (datetime.fromisoformat(start_key["created_at"]), start_key["order_id"])
            mine = [o for o in mine if (o.created_at, o.id) < after]
        page = mine[:limit]
        more = len(mine) > limit
        last = page[-1] if page and more else None
        resume = {"created_at": last.created_at.isoformat(), "order_id": last.id} if last else None
        return page, resume

    def held_past(self, moment: datetime, *, limit: int) -> list[str]:
        held = sorted(
            (o for o in self.by_id.values() if _on_hold_list(o) and o.hold_expires_at < moment),
            key=lambda o: (o.hold_expires_at, o.id),
        )
        return [o.id for o in held[:limit]]

    def standing(self, buyer_id: str, event_id: str) -> BuyerStanding:
        return self.standings.get((buyer_id, event_id), BuyerStanding())


def _on_hold_list(order: Order) -> bool:
    return order.status is OrderStatus.PENDING_PAYMENT and not order.hold_released


class FakeOrderNumbers(OrderNumbers):
    def __init__(self) -> None:
        self._drawn: dict[int, itertools.count[int]] = {}

    def draw(self, year: int) -> int:
        return next(self._drawn.setdefault(year, itertools.count(1)))


class FakeOrderChanges(OrderChanges):
    def __init__(self, orders: FakeOrders, transaction: FakeTransaction) -> None:
        self._orders = orders
        self._transaction = transaction

    def place(self, order: Order) -> Staged[Order]:
        name = f"order {order.id}"
        self._transaction.stage(
            name,
            holds=lambda: order.id not in self._orders.by_id,
            apply=lambda: self._orders.add(order),
            as_was=lambda: self._orders.get(order.id),
        )
        return Staged(name)

    def transition(
        self,
        order: Order,
        target: OrderStatus,
        *,
        now: datetime,
        release_hold: bool = False,
        reason: str | None = None,
        ticket_ids: Sequence[str] = (),
        payment_status: PaymentStatus | None = None,
        allocation: Allocation | None = None,
    ) -> Staged[Order]:
        name = f"order {order.id}"

        def as_read() -> bool:
            stored = self._orders.get(order.id)
            return stored is not None and (stored.status, stored.version) == (
                order.status,
                order.version,
            )

        def apply() -> None:
            stored = self._orders.by_id[order.id]
            changes: dict[str, Any] = {"status": target, "version": stored.version + 1}
            if release_hold:
                changes["hold_released"] = True
            if reason is not None:
                changes["status_reason"] = reason
            if ticket_ids:
                changes["ticket_ids"] = tuple(ticket_ids)
            if target is OrderStatus.PAID:
                changes["paid_at"] = now
            if payment_status is not None:
                changes["payment_status"] = payment_status
            if allocation is not None:
                changes["allocation"] = allocation
            self._orders.by_id[order.id] = replace(stored, **changes)

        self._transaction.stage(
            name, holds=as_read, apply=apply, as_was=lambda: self._orders.get(order.id)
        )
        return Staged(name)

    def list_as_paid(self, order: Order) -> Staged[None]:
        name = f"paid order {order.id}"
        key = (order.event_id, order.id)
        self._transaction.stage(
            name,
            holds=lambda: True,  # as on the table: the order's move to paid guards it
            apply=lambda: self._orders.paid_of_event.add(key),
        )
        return Staged(name)


class FakeBuyerStandingChanges(BuyerStandingChanges):
    def __init__(self, orders: FakeOrders, transaction: FakeTransaction) -> None:
        self._orders = orders
        self._transaction = transaction

    def _stage(
        self,
        buyer_id: str,
        event_id: str,
        *,
        holds: Callable[[BuyerStanding | None], bool],
        change: Callable[[BuyerStanding], BuyerStanding],
    ) -> Staged[BuyerStanding]:
        name = f"standing {buyer_id} {event_id}"
        key = (buyer_id, event_id)

        def apply() -> None:
            self._orders.standings[key] = change(self._orders.standing(buyer_id, event_id))

        self._transaction.stage(
            name,
            holds=lambda: holds(self._orders.standings.get(key)),
            apply=apply,
            as_was=lambda: self._orders.standings.get(key),
        )
        return Staged(name)

    def take(self, order: Order, *, limit: int, now: datetime) -> Staged[BuyerStanding]:
        return self.take_tickets(
            order.buyer_id, order.event_id, order.quantity, limit=limit, now=now
        )

    def take_tickets(
        self, buyer_id: str, event_id: str, quantity: int, *, limit: int, now: datetime
    ) -> Staged[BuyerStanding]:

        def within(stored: BuyerStanding | None) -> bool:
            if stored is None:
                return True
            cooling = stored.cooldown_until is not None and _epoch(stored.cooldown_until) > _epoch(
                now
            )
            return stored.tickets <= limit - quantity and not cooling

        return self._stage(
            buyer_id,
            event_id,
            holds=within,
            change=lambda s: replace(s, tickets=s.tickets + quantity),
        )

    def give_back(self, buyer_id: str, event_id: str, quantity: int) -> Staged[BuyerStanding]:
        return self._stage(
            buyer_id,
            event_id,
            holds=lambda stored: stored is not None and stored.tickets >= quantity,
            change=lambda s: replace(s, tickets=s.tickets - quantity),
        )

    def cool_down(self, buyer_id: str, event_id: str, until: datetime) -> Staged[BuyerStanding]:
        until = datetime.fromtimestamp(_epoch(until), UTC)
        return self._stage(
            buyer_id,
            event_id,
            holds=lambda _: True,
            change=lambda s: replace(s, cooldown_until=until),
        )

    def retake(
        self, buyer_id: str, event_id: str, quantity: int, *, cooldown_until: datetime
    ) -> Staged[BuyerStanding]:
        until = datetime.fromtimestamp(_epoch(cooldown_until), UTC)
        return self._stage(
            buyer_id,
            event_id,
            holds=lambda _: True,
            change=lambda s: replace(s, tickets=s.tickets + quantity, cooldown_until=until),
        )
