"""Ending a hold that was never paid: the order leaves ``pending_payment`` (cancelled by
its buyer, expired by the sweeper or by reconciliation) and, in the same unit of work,
its seats return to the shards they came from, the buyer's allowance is given back, the
voucher use is returned and ``order.<expired|cancelled>`` is announced. A concurrent
change to the order (a payment landing) refuses the whole unit; the refusal hands back
the order as it is, which is judged again."""

from __future__ import annotations

from datetime import datetime

from admitone.domain.errors import Contention, DependencyUnavailable, NotFound
from admitone.domain.events import OrderEnded
from admitone.domain.orders import Order, OrderStatus, ended_unpaid
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from admitone.services.inventory import pause

MAX_ATTEMPTS = 5


def end_hold(
    store: Store, order: Order, target: OrderStatus, *, reason: str, now: datetime
) -> Order:
    """Move a pending order to ``target`` (expired or cancelled) and give back what it
    held; returns the order as it ends up. An order found already out of
    ``pending_payment`` is returned as it is, nothing released twice."""
    if target not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        raise ValueError(f"a hold ends expired or cancelled, not {target}")
    for attempt in range(MAX_ATTEMPTS):
        if order.status is not OrderStatus.PENDING_PAYMENT or order.hold_released:
            return order
        uow = store.unit_of_work()
        moved = uow.orders.transition(order, target, now=now, release_hold=True, reason=reason)
        uow.standings.give_back(order.buyer_id, order.event_id, order.quantity)
        if order.voucher_code:
            uow.vouchers.give_back(order.event_id, order.voucher_code, order.totals.discount)
        uow.inventory.release(order.event_id, order.allocation)
        uow.outbox.announce(
            f"order.{target.value}",
            OrderEnded(order_id=order.id, event_id=order.event_id, reason=reason),
            now=now,
        )
        try:
            uow.commit()
        except Contention:
            pause(attempt)
            continue
        except ChangeRefused as refused:
            if not refused.refused(moved):
                raise  # the order was as read but what it holds was not: a bug
            fresh = refused.as_was(moved)
            if fresh is None:
                raise NotFound("No such order.") from None
            order = fresh
            continue
        return ended_unpaid(order, target, reason=reason)
    raise DependencyUnavailable("The order is busy; try again.")
