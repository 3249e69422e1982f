"""Orders in the single table: the order item, the buyer's standing for an event, the
yearly order-number counter, and the conditional operations that move an order along
its state machine inside the transactions that move its seats.

Order item (``keys.order``): ``entity = order``, ids, ``status``, ``lines``, ``totals``,
``allocation`` (where its units were taken), ``hold_expires_at`` (ISO) and
``hold_expires_epoch``, ``hold_released``, payment fields, ``ticket_ids``, ``version``.
Indexes: GSI1 ``BUYER#<user>`` / ``ORDER#<created at>#<id>`` (a buyer's orders),
GSI2 ``PAYMENT_INTENT#<pi>`` / ``ORDER`` (the order a PaymentIntent pays), GSI3
``HOLDS#active#<shard of the id>`` / ``<hold expires at>#<id>`` while its seats are held
(the sweeper's work list; removed when the order is paid, expires or is cancelled), GSI4
``PAYMENTS#processing#<shard of the id>`` / ``<since>#<id>`` while its payment is
processing (reconciliation's). Every order enters and leaves the first, every payment
that processes the second, so each is spread over partitions (``keys.HOLD_LIST_SHARDS``,
``keys.PLATFORM_LIST_SHARDS``) and read over all of them.

Standing item (``keys.buyer_standing``): ``tickets`` held or owned by the buyer for the
event and ``cooldown_until_epoch``; checked and changed in the order's transaction.

Counter item (``keys.order_number_counter``): ``entity = order_number_counter``,
``sequence`` (the highest of the year's numbers claimed so far). A container claims its
numbers in blocks of ``ORDER_NUMBER_BLOCK`` (``DynamoOrderNumbers``), so the one counter
item of the platform takes one write per block, not one per order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, from_attributes, instant, put_op, update_op
from admitone.adapters.dynamo.transaction import RawItem, Transaction
from admitone.domain.inventory import Allocation
from admitone.domain.orders import (
    BuyerStanding,
    Order,
    OrderLine,
    OrderStatus,
    OrderTotals,
    PaymentStatus,
)
from admitone.ports.orders import BuyerStandingChanges, OrderChanges, OrderNumbers, Orders
from admitone.ports.staging import Staged

Op = dict[str, Any]
ENTITY = "order"
COUNTER_ENTITY = "order_number_counter"
_ORDER_SK = "ORDER"


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ----------------------------------------------------------------- mapping
def to_item(order: Order) -> Item:
    item: Item = {
        **keys.order(order.id),
        "entity": ENTITY,
        "order_id": order.id,
        "order_number": order.number,
        "buyer_id": order.buyer_id,
        "event_id": order.event_id,
        "status": order.status.value,
        "lines": [
            {
                "ticket_type_id": line.ticket_type_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in order.lines
        ],
        "totals": {
            "currency": order.totals.currency,
            "subtotal": order.totals.subtotal,
            "discount": order.totals.discount,
            "platform_fee": order.totals.platform_fee,
            "nft_fee": order.totals.nft_fee,
            "taxes": [dict(tax) for tax in order.totals.taxes],
            "total": order.totals.total,
        },
        "amounts": {tty: dict(money) for tty, money in order.amounts.items()},
        "shares": [dict(share) for share in order.shares],
        "refunded": dict(order.refunded),
        "restocked": dict(order.restocked),
        "dispute_id": order.dispute_id,
        "allocation": order.allocation.to_plain(),
        "hold_expires_at": instant(order.hold_expires_at),
        "hold_expires_epoch": int(order.hold_expires_at.timestamp()),
        "hold_released": order.hold_released,
        "created_at": instant(order.created_at),
        "attendee_email": order.attendee_email,
        "voucher_code": order.voucher_code,
        "payment_intent_id": order.payment_intent_id,
        "payment_status": order.payment_status.value,
        "ticket_ids": list(order.ticket_ids),
        "status_reason": order.status_reason,
        "paid_at": instant(order.paid_at) if order.paid_at else None,
        "version": order.version,
        "GSI1PK": keys.orders_of_buyer(order.buyer_id),
        "GSI1SK": f"ORDER#{instant(order.created_at)}#{order.id}",
    }
    if order.payment_intent_id:
        item["GSI2PK"] = keys.payment_intent(order.payment_intent_id)
        item["GSI2SK"] = _ORDER_SK
    if order.status is OrderStatus.PENDING_PAYMENT and not order.hold_released:
        item["GSI3PK"] = keys.holds_active()
        item["GSI3SK"] = f"{instant(order.hold_expires_at)}#{order.id}"
    return item


def to_order(item: Mapping[str, Any]) -> Order:
    totals = item["totals"]
    return Order(
        id=item["order_id"],
        number=item["order_number"],
        buyer_id=item["buyer_id"],
        event_id=item["event_id"],
        status=OrderStatus(item["status"]),
        lines=tuple(
            OrderLine(line["ticket_type_id"], line["quantity"], line["unit_price"])
            for line in item["lines"]
        ),
        totals=OrderTotals(
            currency=totals["currency"],
            subtotal=totals["subtotal"],
            discount=totals["discount"],
            platform_fee=totals["platform_fee"],
            nft_fee=totals["nft_fee"],
            taxes=tuple(totals["taxes"]),
            total=totals["total"],
        ),
        allocation=Allocation.from_plain(item["allocation"]),
        hold_expires_at=datetime.fromisoformat(item["hold_expires_at"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        attendee_email=item.get("attendee_email"),
        voucher_code=item.get("voucher_code"),
        payment_intent_id=item.get("payment_intent_id"),
        payment_status=PaymentStatus(item["payment_status"]),
        hold_released=item["hold_released"],
        ticket_ids=tuple(item.get("ticket_ids", ())),
        status_reason=item.get("status_reason"),
        paid_at=_parse(item.get("paid_at")),
        version=item["version"],
        amounts=item.get("amounts", {}),
        shares=tuple(item.get("shares", ())),
        refunded=item.get("refunded") or {},
        restocked={tty: int(units) for tty, units in (item.get("restocked") or {}).items()},
        dispute_id=item.get("dispute_id"),
    )


# -------------------------------------------------------------------- reads
def get_order(order_id: str, *, consistent: bool = True) -> Order | None:
    item = table.get(keys.order(order_id), consistent=consistent)
    return to_order(item) if item else None


def order_id_for_payment_intent(payment_intent_id: str) -> str | None:
    """The order a PaymentIntent pays, by GSI2 (eventually consistent: read the order
    itself afterwards with ``get_order``)."""
    request = {
        "IndexName": "GSI2",
        "KeyConditionExpression": "GSI2PK = :pk AND GSI2SK = :sk",
        "ExpressionAttributeValues": table.to_attributes(
            {":pk": keys.payment_intent(payment_intent_id), ":sk": _ORDER_SK}
        ),
        "Limit": 1,
    }
    for page, _ in table.query_pages(request):
        return page[0]["order_id"] if page else None
    return None  # pragma: no cover  (query_pages yields at least one page)


def orders_page(
    user_id: str, *, limit: int, start_key: Mapping[str, str] | None
) -> tuple[list[Order], dict[str, str] | None]:
    """One page of a buyer's orders, newest first, and the position to resume after it."""
    items, resume = table.index_page(
        "GSI1",
        keys.orders_of_buyer(user_id),
        limit=limit,
        start_key=start_key,
        sort_prefix="ORDER#",
        newest_first=True,
    )
    return [to_order(item) for item in items], resume


def held_past(now: datetime, *, limit: int) -> list[str]:
    """Ids of pending orders whose hold ended before ``now``, longest overdue first over
    every shard of the sweeper's list (GSI3), at most ``limit``.

    Exactly the first ``limit`` (each shard is asked for as many): the sweeper starts over
    from the first after each page, so a short page of orders it cannot settle yet (still
    paying) would end its run before the overdue holds behind them."""
    items, _ = table.first_of_sharded(
        "GSI3",
        keys.holds_active_lists(),
        limit=limit,
        sort_below=instant(now),
        whole_page_per_shard=True,
    )
    return [item["order_id"] for item in items]


def held_for_event(event_id: str) -> Iterator[str]:
    """Ids of the event's pending orders whose seats are still held (GSI3, every live
    hold of every shard read and filtered by event; in no particular order): for the
    cancellation job, never a request path."""
    for partition in keys.holds_active_lists():
        request = {
            "IndexName": "GSI3",
            "KeyConditionExpression": "GSI3PK = :pk",
            "FilterExpression": "event_id = :event",
            "ExpressionAttributeValues": table.to_attributes(
                {":pk": partition, ":event": event_id}
            ),
        }
        for page, _ in table.query_pages(request):
            yield from (item["order_id"] for item in page)


def buyer_standing(user_id: str, event_id: str) -> BuyerStanding:
    item = table.get(keys.buyer_standing(user_id, event_id), consistent=True)
    return to_standing(item) if item else BuyerStanding()


def to_standing(item: Mapping[str, Any]) -> BuyerStanding:
    until = item.get("cooldown_until_epoch")
    return BuyerStanding(
        tickets=item.get("tickets", 0),
        cooldown_until=datetime.fromtimestamp(until, UTC) if until else None,
    )


# ------------------------------------------------------------------- writes
def claim_order_numbers(year: int, count: int) -> range:
    """The next ``count`` numbers of ``year`` (from 1), claimed with one atomic ``ADD`` on
    the year's counter: no other claim gets any of them. Not part of an order's
    transaction; a number that no order gets is a gap, never a repeat.

    The counter carries an ``entity`` like every other item, so that a model query of
    its partition does not skip it (models.OrderNumberCounterRecord)."""
    if count < 1:
        raise ValueError(f"cannot claim {count} order numbers")
    item = table.update(
        keys.order_number_counter(year),
        "ADD #seq :count SET entity = :entity",
        names={"#seq": "sequence"},
        values={":count": count, ":entity": COUNTER_ENTITY},
    )
    highest = int(item["sequence"])
    return range(highest - count + 1, highest + 1)


def take_standing_op_for(order: Order, per_user_limit: int, now: datetime) -> Op:
    """Count ``order.quantity`` against the buyer's ``per_user_limit``, if that leaves the
    buyer within it and not cooling down at ``now``."""
    return _take_standing_op(order.buyer_id, order.event_id, order.quantity, per_user_limit, now)


def _take_standing_op(
    buyer_id: str, event_id: str, quantity: int, per_user_limit: int, now: datetime
) -> Op:
    return update_op(
        keys.buyer_standing(buyer_id, event_id),
        "SET #tickets = if_not_exists(#tickets, :zero) + :q,"
        " entity = :entity, user_id = :user, event_id = :event",
        names={"#tickets": "tickets", "#cooldown": "cooldown_until_epoch"},
        values={
            ":zero": 0,
            ":q": quantity,
            ":room": per_user_limit - quantity,
            ":now": int(now.timestamp()),
            ":entity": "buyer_standing",
            ":user": buyer_id,
            ":event": event_id,
        },
        condition="(attribute_not_exists(#tickets) OR #tickets <= :room)"
        " AND (attribute_not_exists(#cooldown) OR #cooldown <= :now)",
    )


def transition_op(
    order: Order,
    target: OrderStatus,
    *,
    now: datetime,
    release_hold: bool = False,
    reason: str | None = None,
    ticket_ids: Sequence[str] = (),
    payment_status: PaymentStatus | None = None,
    allocation: Allocation | None = None,
) -> Op:
    """Move ``order`` from the status and version it was read in to ``target``.

    Conditioned on both, so a concurrent writer (a sweeper and a webhook, two deliveries
    of one event) makes exactly one of the transactions fail. ``release_hold`` marks the
    seats returned; leaving ``pending_payment`` always drops the order from the sweeper's
    work list.
    """
    sets = ["#status = :target", "version = version + :one", "updated_at = :now"]
    values: dict[str, Any] = {
        ":target": target.value,
        ":current": order.status.value,
        ":version": order.version,
        ":one": 1,
        ":now": instant(now),
    }
    if release_hold:
        sets.append("hold_released = :true")
        values[":true"] = True
    if reason is not None:
        sets.append("status_reason = :reason")
        values[":reason"] = reason
    if ticket_ids:
        sets.append("ticket_ids = :tickets")
        values[":tickets"] = list(ticket_ids)
    if target is OrderStatus.PAID:
        sets.append("paid_at = :now")
    if payment_status is not None:
        sets.append("payment_status = :payment")
        values[":payment"] = payment_status.value
    if allocation is not None:
        sets.append("allocation = :allocation")
        values[":allocation"] = allocation.to_plain()
    return update_op(
        keys.order(order.id),
        "SET " + ", ".join(sets) + " REMOVE GSI3PK, GSI3SK, GSI4PK, GSI4SK",
        names={"#status": "status"},
        values=values,
        condition="#status = :current AND version = :version",
    )


def record_payment_status(order: Order, status: PaymentStatus, *, error: str | None) -> None:
    """Mirror the PaymentIntent's status on the order, if the order is as it was read.

    A ``processing`` payment goes on reconciliation's work list (GSI4
    ``PAYMENTS#processing#<shard of the id>`` / ``<since>#<order id>``) until it moves on.
    """
    values: dict[str, Any] = {
        ":status": status.value,
        ":error": error or "",
        ":one": 1,
        ":version": order.version,
    }
    expression = (
        "SET payment_status = :status, last_payment_error = :error, version = version + :one"
    )
    if status is PaymentStatus.PROCESSING:
        expression += ", GSI4PK = :processing, GSI4SK = :since"
        values[":processing"] = keys.payments_processing(order.id)
        values[":since"] = f"{instant(datetime.now(UTC))}#{order.id}"
    else:
        expression += " REMOVE GSI4PK, GSI4SK"
    table.update(keys.order(order.id), expression, values=values, condition="version = :version")


def processing_since(before: datetime, *, limit: int) -> list[str]:
    """Ids of orders whose payment has been ``processing`` since before ``before``, the
    longest processing first over every shard of the list (GSI4), at most ``limit``.

    Fewer than ``limit`` may come while more wait (``table.first_of_sharded``): each one
    reconciliation refreshes leaves the list or, still processing, is recorded again and
    goes to its end, so the next run reaches the rest."""
    items, _ = table.first_of_sharded(
        "GSI4", keys.payments_processing_lists(), limit=limit, sort_below=instant(before)
    )
    return [item["order_id"] for item in items]


def release_standing_op(user_id: str, event_id: str, quantity: int) -> Op:
    """Give back ``quantity`` tickets of the buyer's allowance (a hold ended unpaid)."""
    return update_op(
        keys.buyer_standing(user_id, event_id),
        "SET #tickets = #tickets - :q",
        names={"#tickets": "tickets"},
        values={":q": quantity},
        condition="#tickets >= :q",
    )


def cooldown_op(user_id: str, event_id: str, until: datetime) -> Op:
    """Start the buyer's purchase cooldown for the event (an order was paid)."""
    return update_op(
        keys.buyer_standing(user_id, event_id),
        "SET #cooldown = :until",
        names={"#cooldown": "cooldown_until_epoch"},
        values={":until": int(until.timestamp())},
    )


def take_standing_op(user_id: str, event_id: str, quantity: int, *, cooldown_until: datetime) -> Op:
    """Count ``quantity`` tickets against the buyer's allowance again, unconditionally (a
    late payment re-took seats the buyer has already paid for), and start the cooldown."""
    return update_op(
        keys.buyer_standing(user_id, event_id),
        "SET #tickets = if_not_exists(#tickets, :zero) + :q, #cooldown = :until",
        names={"#tickets": "tickets", "#cooldown": "cooldown_until_epoch"},
        values={":zero": 0, ":q": quantity, ":until": int(cooldown_until.timestamp())},
    )


# ------------------------------------------------------------------- ports
def _order_of(raw: RawItem) -> Order:
    return to_order(from_attributes(raw))


def _standing_of(raw: RawItem) -> BuyerStanding:
    return to_standing(from_attributes(raw))


def standing_name(buyer_id: str, event_id: str) -> str:
    return f"standing {buyer_id} {event_id}"


def paid_order_op(event_id: str, order_id: str) -> Op:
    """The order on its event's list of paid orders (``money.paid_orders_after`` reads it).

    Written here with the order's other changes rather than beside its reader: money.py
    is a large module most functions that read an order never need."""
    return put_op(
        {
            **keys.paid_order_of_event(event_id, order_id),
            "entity": "event_order",
            "order_id": order_id,
        },
        condition="attribute_not_exists(PK)",
    )


class DynamoOrders(Orders):
    def get(self, order_id: str, *, consistent: bool = True) -> Order | None:
        return get_order(order_id, consistent=consistent)

    def page_of_buyer(
        self, buyer_id: str, *, limit: int, start_key: Mapping[str, str] | None
    ) -> tuple[list[Order], dict[str, str] | None]:
        return orders_page(buyer_id, limit=limit, start_key=start_key)

    def held_past(self, moment: datetime, *, limit: int) -> list[str]:
        return held_past(moment, limit=limit)

    def standing(self, buyer_id: str, event_id: str) -> BuyerStanding:
        return buyer_standing(buyer_id, event_id)


# Numbers a container claims at once. Every order of the platform draws one, and the
# year's counter is one item (one partition, ~1,000 writes a second): claimed one at a
# time it capped the platform at ~1,000 orders a second; a block of 100 puts one write on
# it per 100 orders. What a container leaves unused when it ends is a gap.
ORDER_NUMBER_BLOCK = 100


class DynamoOrderNumbers(OrderNumbers):
    """Hands out the numbers of blocks it claims (``claim_order_numbers``), in order.

    One instance per container (the composition root's store), shared by its threads:
    the lock makes each number go to one caller, and a block is claimed only when the
    last one is spent, so one container's numbers only ever increase."""

    def __init__(self, block: int = ORDER_NUMBER_BLOCK) -> None:
        self._block = block
        self._lock = threading.Lock()
        self._unused: dict[int, Iterator[int]] = {}

    def draw(self, year: int) -> int:
        with self._lock:
            number = next(self._unused.get(year, iter(())), None)
            if number is None:
                claimed = iter(claim_order_numbers(year, self._block))
                number = next(claimed)
                self._unused[year] = claimed
            return number


class DynamoOrderChanges(OrderChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def _stage(self, order_id: str, operation: Op) -> Staged[Order]:
        name = f"order {order_id}"
        self._transaction.stage(name, operation, decode=_order_of)
        return Staged(name)

    def place(self, order: Order) -> Staged[Order]:
        return self._stage(order.id, put_op(to_item(order), condition="attribute_not_exists(PK)"))

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
        return self._stage(
            order.id,
            transition_op(
                order,
                target,
                now=now,
                release_hold=release_hold,
                reason=reason,
                ticket_ids=ticket_ids,
                payment_status=payment_status,
                allocation=allocation,
            ),
        )

    def list_as_paid(self, order: Order) -> Staged[None]:
        name = f"paid order {order.id}"
        self._transaction.stage(name, paid_order_op(order.event_id, order.id))
        return Staged(name)


class DynamoBuyerStandingChanges(BuyerStandingChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def _stage(self, buyer_id: str, event_id: str, operation: Op) -> Staged[BuyerStanding]:
        name = standing_name(buyer_id, event_id)
        self._transaction.stage(name, operation, decode=_standing_of)
        return Staged(name)

    def take(self, order: Order, *, limit: int, now: datetime) -> Staged[BuyerStanding]:
        return self._stage(order.buyer_id, order.event_id, take_standing_op_for(order, limit, now))

    def take_tickets(
        self, buyer_id: str, event_id: str, quantity: int, *, limit: int, now: datetime
    ) -> Staged[BuyerStanding]:
        return self._stage(
            buyer_id, event_id, _take_standing_op(buyer_id, event_id, quantity, limit, now)
        )

    def give_back(self, buyer_id: str, event_id: str, quantity: int) -> Staged[BuyerStanding]:
        return self._stage(buyer_id, event_id, release_standing_op(buyer_id, event_id, quantity))

    def cool_down(self, buyer_id: str, event_id: str, until: datetime) -> Staged[BuyerStanding]:
        return self._stage(buyer_id, event_id, cooldown_op(buyer_id, event_id, until))

    def retake(
        self, buyer_id: str, event_id: str, quantity: int, *, cooldown_until: datetime
    ) -> Staged[BuyerStanding]:
        return self._stage(
            buyer_id,
            event_id,
            take_standing_op(buyer_id, event_id, quantity, cooldown_until=cooldown_until),
        )
