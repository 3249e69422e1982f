"""Ending a hold that was never paid: the order leaves ``pending_payment`` (cancelled by
its buyer, expired by the sweeper or by reconciliation) and, in the same transaction,
its seats return to the shards they came from, the buyer's allowance is given back and
the voucher use is returned. A concurrent change to the order (a payment landing)
makes the transaction fail as a whole; the order is then re-read and judged again."""

from __future__ import annotations

from datetime import datetime

from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import vouchers as voucher_store
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.domain.errors import DependencyUnavailable, NotFound
from admitone.domain.orders import Order, OrderStatus
from admitone.services import inventory as inventory_service

MAX_ATTEMPTS = 5


class _OrderChanged(Exception):
    pass


def end_hold(order: Order, target: OrderStatus, *, reason: str, now: datetime) -> Order:
    """Move a pending order to ``target`` (expired or cancelled) and give back what it
    held; returns the order as it ends up. An order found already out of
    ``pending_payment`` is returned as it is, nothing released twice."""
    if target not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        raise ValueError(f"a hold ends expired or cancelled, not {target}")
    for _ in range(MAX_ATTEMPTS):
        if order.status is not OrderStatus.PENDING_PAYMENT or order.hold_released:
            return order
        extra_ops = [
            order_store.transition_op(order, target, now=now, release_hold=True, reason=reason),
            order_store.release_standing_op(order.buyer_id, order.event_id, order.quantity),
            outbox_op(
                f"order.{target.value}",
                {"order_id": order.id, "event_id": order.event_id, "reason": reason},
                now=now,
            ),
        ]
        if order.voucher_code:
            extra_ops.append(
                voucher_store.unredeem_op(order.event_id, order.voucher_code, order.totals.discount)
            )
        try:
            inventory_service.release(
                order.event_id, order.allocation, extra_ops=extra_ops, errors={0: _OrderChanged()}
            )
        except _OrderChanged:
            fresh = order_store.get_order(order.id)
            if fresh is None:
                raise NotFound("No such order.") from None
            order = fresh
            continue
        ended = order_store.get_order(order.id)
        assert ended is not None  # it was just written
        return ended
    raise DependencyUnavailable("The order is busy; try again.")
