"""Refunds, disputes, settlements, payouts and an event's paid orders in the single table
(README.md here lists each access pattern). The ledger entries that go with each change
are written by adapters/dynamo/ledger.py in the same transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, check_op, instant, put_op, update_op
from admitone.domain.ledger import Components
from admitone.domain.orders import Order, OrderStatus
from admitone.domain.refunds import RefundReason, RefundStatus, stored_parts

Op = dict[str, Any]


# ---------------------------------------------------------------- refunds
@dataclass(frozen=True)
class Refund:
    id: str
    order_id: str
    event_id: str
    venue_id: str
    currency: str
    amounts: Components
    ticket_ids: tuple[str, ...]
    reason: RefundReason
    status: RefundStatus
    requested_by: str
    created_at: datetime
    stripe_refund_id: str | None = None

    @property
    def amount(self) -> int:
        return self.amounts.total


def refund_item(refund: Refund) -> Item:
    item: Item = {
        **keys.refund(refund.order_id, refund.id),
        "entity": "refund",
        "refund_id": refund.id,
        "order_id": refund.order_id,
        "event_id": refund.event_id,
        "venue_id": refund.venue_id,
        "currency": refund.currency,
        "amount": refund.amount,
        "parts": refund.amounts.as_list(),
        "ticket_ids": list(refund.ticket_ids),
        "reason": refund.reason.value,
        "status": refund.status.value,
        "requested_by": refund.requested_by,
        "created_at": instant(refund.created_at),
        "stripe_refund_id": refund.stripe_refund_id,
    }
    if refund.stripe_refund_id is None:
        item["GSI3PK"] = keys.REFUNDS_UNSENT
        item["GSI3SK"] = f"{instant(refund.created_at)}#{refund.id}"
    return item


def to_refund(item: Mapping[str, Any]) -> Refund:
    return Refund(
        id=item["refund_id"],
        order_id=item["order_id"],
        event_id=item["event_id"],
        venue_id=item["venue_id"],
        currency=item["currency"],
        amounts=Components.of_list([int(part) for part in item["parts"]]),
        ticket_ids=tuple(item["ticket_ids"]),
        reason=RefundReason(item["reason"]),
        status=RefundStatus(item["status"]),
        requested_by=item["requested_by"],
        created_at=datetime.fromisoformat(item["created_at"]),
        stripe_refund_id=item.get("stripe_refund_id"),
    )


def request_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def claim_request_op(order_id: str, seed: str, refund_id: str) -> Op:
    """Ties one refund request (a client's key, a cancellation) to one refund, for good."""
    return put_op(
        {
            **keys.refund_request(order_id, request_hash(seed)),
            "entity": "refund_request",
            "refund_id": refund_id,
        },
        condition="attribute_not_exists(PK)",
    )


def claimed_refund(order_id: str, seed: str) -> Refund | None:
    """The refund a request already made, if it made one."""
    claim = table.get(keys.refund_request(order_id, request_hash(seed)), consistent=True)
    return get_refund(order_id, str(claim["refund_id"])) if claim else None


def new_refund_op(refund: Refund) -> Op:
    return put_op(refund_item(refund), condition="attribute_not_exists(PK)")


def get_refund(order_id: str, refund_id: str) -> Refund | None:
    item = table.get(keys.refund(order_id, refund_id), consistent=True)
    return to_refund(item) if item else None


def refunds_of_order(order_id: str) -> list[Refund]:
    return [
        to_refund(item)
        for item in table.query_partition(f"ORDER#{order_id}", sk_prefix="REFUND#", consistent=True)
    ]


def record_stripe_refund(refund: Refund, stripe_refund_id: str) -> None:
    """Stripe accepted the refund: note its id; it leaves the unsent work list."""
    table.update(
        keys.refund(refund.order_id, refund.id),
        "SET stripe_refund_id = :stripe REMOVE GSI3PK, GSI3SK",
        values={":stripe": stripe_refund_id},
    )


def refund_status_op(
    refund: Refund, status: RefundStatus, *, stripe_refund_id: str | None, now: datetime
) -> Op:
    """Move a refund on from the status it was read in (Stripe's word is final)."""
    values: dict[str, Any] = {
        ":status": status.value,
        ":read": refund.status.value,
        ":now": instant(now),
    }
    sets = ["#status = :status", "updated_at = :now"]
    if stripe_refund_id:
        sets.append("stripe_refund_id = :stripe")
        values[":stripe"] = stripe_refund_id
    return update_op(
        keys.refund(refund.order_id, refund.id),
        "SET " + ", ".join(sets) + " REMOVE GSI3PK, GSI3SK",
        names={"#status": "status"},
        values=values,
        condition="#status = :read",
    )


def unsent_refunds(before: datetime, *, limit: int) -> list[tuple[str, str]]:
    """(order id, refund id) of refunds Stripe has not accepted since before ``before``."""
    items, _ = table.index_page(
        "GSI3", keys.REFUNDS_UNSENT, limit=limit, sort_below=instant(before)
    )
    return [(str(item["order_id"]), str(item["refund_id"])) for item in items]


def order_refund_op(
    order: Order,
    *,
    status: OrderStatus,
    refunded: Components,
    now: datetime,
    restocked: Mapping[str, int] | None = None,
) -> Op:
    """The order's refunded parts and status (and the seats put back on sale), if it is
    still the version read."""
    return update_op(
        keys.order(order.id),
        "SET #status = :status, refunded = :refunded, restocked = :restocked,"
        " version = version + :one, updated_at = :now",
        names={"#status": "status"},
        values={
            ":status": status.value,
            ":refunded": stored_parts(refunded),
            ":restocked": dict(order.restocked if restocked is None else restocked),
            ":one": 1,
            ":now": instant(now),
            ":version": order.version,
        },
        condition="version = :version",
    )


# ---------------------------------------------------------------- disputes
DISPUTE_OPEN = "open"


@dataclass(frozen=True)
class Dispute:
    """A chargeback of one order: ``amount`` is what the card holder's bank disputes (as
    Stripe last said), ``frozen`` what the venue's reserved balance holds for it, and
    ``changes`` how many times that was changed since it was opened."""

    id: str
    order_id: str
    amount: int
    frozen: int
    status: str
    changes: int = 0


def _dispute(item: Mapping[str, Any]) -> Dispute:
    return Dispute(
        id=item["dispute_id"],
        order_id=item["order_id"],
        amount=int(item["amount"]),
        # Disputes opened before ``frozen`` was kept froze exactly their amount.
        frozen=int(item.get("frozen", item["amount"])),
        status=item["status"],
        changes=int(item.get("changes", 0)),
    )


def new_dispute_op(dispute: Dispute, now: datetime) -> Op:
    return put_op(
        {
            **keys.dispute(dispute.order_id, dispute.id),
            "entity": "dispute",
            "dispute_id": dispute.id,
            "order_id": dispute.order_id,
            "amount": dispute.amount,
            "frozen": dispute.frozen,
            "changes": dispute.changes,
            "status": DISPUTE_OPEN,
            "opened_at": instant(now),
        },
        condition="attribute_not_exists(PK)",
    )


def get_dispute(order_id: str, dispute_id: str) -> Dispute | None:
    item = table.get(keys.dispute(order_id, dispute_id), consistent=True)
    return _dispute(item) if item else None


def _as_read(dispute: Dispute) -> tuple[str, dict[str, Any]]:
    """A condition that the dispute is still open and as read (an item written before
    ``changes`` was kept has none: it counts as zero)."""
    changes = (
        "(changes = :changes OR attribute_not_exists(changes))"
        if dispute.changes == 0
        else "changes = :changes"
    )
    return f"#status = :open AND {changes}", {":open": DISPUTE_OPEN, ":changes": dispute.changes}


def change_dispute_op(read: Dispute, changed: Dispute, now: datetime) -> Op:
    """The disputed amount and what is frozen for it, if the dispute is as read."""
    condition, values = _as_read(read)
    return update_op(
        keys.dispute(read.order_id, read.id),
        "SET amount = :amount, frozen = :frozen, changes = :next, changed_at = :now",
        names={"#status": "status"},
        values=values
        | {
            ":amount": changed.amount,
            ":frozen": changed.frozen,
            ":next": changed.changes,
            ":now": instant(now),
        },
        condition=condition,
    )


def close_dispute_op(read: Dispute, closed: Dispute, now: datetime) -> Op:
    """The dispute closed (``closed.status`` its outcome, at its final amount), if it is
    still open and as read."""
    condition, values = _as_read(read)
    return update_op(
        keys.dispute(read.order_id, read.id),
        "SET #status = :outcome, amount = :amount, frozen = :frozen, changes = :next,"
        " closed_at = :now",
        names={"#status": "status"},
        values=values
        | {
            ":outcome": closed.status,
            ":amount": closed.amount,
            ":frozen": closed.frozen,
            ":next": closed.changes,
            ":now": instant(now),
        },
        condition=condition,
    )


def charge_back_op(order: Order, now: datetime) -> Op:
    """The order charged back (a lost dispute), if it is still the version read: a refund
    in between makes the dispute's close read again."""
    return update_op(
        keys.order(order.id),
        "SET #status = :status, version = version + :one, updated_at = :now REMOVE dispute_id",
        names={"#status": "status"},
        values={
            ":status": OrderStatus.CHARGED_BACK.value,
            ":one": 1,
            ":now": instant(now),
            ":version": order.version,
        },
        condition="version = :version",
    )


def flag_dispute_op(order_id: str, dispute_id: str | None) -> Op:
    """Flag the order while a dispute is open (no version bump: refunds go on)."""
    if dispute_id is None:
        return update_op(keys.order(order_id), "REMOVE dispute_id")
    return update_op(
        keys.order(order_id), "SET dispute_id = :dispute", values={":dispute": dispute_id}
    )


# ---------------------------------------------------------- paid orders
def paid_orders_after(event_id: str, after: str | None, *, limit: int) -> list[str]:
    """The event's paid orders, by id, after ``after`` (a stable order to resume in):
    each shard's first ``limit`` after it, merged, so none is skipped."""
    found: list[str] = []
    for partition in keys.paid_order_lists(event_id):
        request: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK > :after",
            "ExpressionAttributeValues": table.to_attributes(
                {":pk": partition, ":after": f"ORDER#{after or ''}"}
            ),
            "ConsistentRead": True,
            "Limit": limit,
        }
        for page, _ in table.query_pages(request):
            found += [str(item["order_id"]) for item in page]
            break
    return sorted(found)[:limit]


def count_paid_orders(event_id: str) -> int:
    return sum(
        len(table.query_partition(partition, consistent=True))
        for partition in keys.paid_order_lists(event_id)
    )


# ------------------------------------------------------------- settlements
@dataclass(frozen=True)
class Settlement:
    event_id: str
    venue_id: str
    currency: str
    settles_at: datetime
    settled_at: datetime | None
    # How many writes booked onto the event's pending proceeds so far: settlement holds
    # it still, so no write can slip in between its read of the proceeds and its move.
    pending_writes: int = 0


def settlement_op(event_id: str, venue_id: str, currency: str, settles_at: datetime) -> Op:
    """(Re)schedule an event's settlement; a settled event stays settled. An update, not
    a put: the count of pending writes (``pending_write_op``) must survive it."""
    return update_op(
        keys.settlement(event_id),
        "SET entity = :entity, event_id = :event, venue_id = :venue, currency = :currency,"
        " settles_at = :settles_at, GSI4PK = :due, GSI4SK = :due_at",
        values={
            ":entity": "settlement",
            ":event": event_id,
            ":venue": venue_id,
            ":currency": currency,
            ":settles_at": instant(settles_at),
            ":due": keys.SETTLEMENTS_DUE,
            ":due_at": f"{instant(settles_at)}#{event_id}",
        },
        condition="attribute_not_exists(settled_at)",
    )


def _settlement(item: Mapping[str, Any]) -> Settlement:
    settled = item.get("settled_at")
    return Settlement(
        event_id=item["event_id"],
        venue_id=item["venue_id"],
        currency=item["currency"],
        settles_at=datetime.fromisoformat(item["settles_at"]),
        settled_at=datetime.fromisoformat(settled) if settled else None,
        pending_writes=int(item.get("pending_writes", 0)),
    )


def get_settlement(event_id: str) -> Settlement | None:
    item = table.get(keys.settlement(event_id), consistent=True)
    return _settlement(item) if item else None


def settlements_due(now: datetime, *, limit: int) -> list[Settlement]:
    items, _ = table.index_page("GSI4", keys.SETTLEMENTS_DUE, limit=limit, sort_below=instant(now))
    return [_settlement(item) for item in items]


def pending_write_op(settlement: Settlement | None, event_id: str) -> Op:
    """Joins every write onto an event's pending proceeds: it holds only while the event
    is unsettled, and counts the write, so a settlement that read the proceeds before it
    fails its own condition and reads them again. With no settlement scheduled (read as
    None), it holds only while there is still none."""
    if settlement is None:
        return check_op(keys.settlement(event_id), "attribute_not_exists(PK)")
    return update_op(
        keys.settlement(event_id),
        "ADD pending_writes :one",
        values={":one": 1},
        condition="attribute_exists(PK) AND attribute_not_exists(settled_at)",
    )


def mark_settled_op(settlement: Settlement, amount: int, now: datetime) -> Op:
    """Settled at ``amount``, if no write onto the pending proceeds came after the read of
    ``settlement`` (its ``pending_writes``)."""
    unchanged = (
        "pending_writes = :seen"
        if settlement.pending_writes
        else "attribute_not_exists(pending_writes)"
    )
    values: dict[str, Any] = {":now": instant(now), ":amount": amount}
    if settlement.pending_writes:
        values[":seen"] = settlement.pending_writes
    return update_op(
        keys.settlement(settlement.event_id),
        "SET settled_at = :now, settled_amount = :amount REMOVE GSI4PK, GSI4SK",
        values=values,
        condition=f"attribute_exists(PK) AND attribute_not_exists(settled_at) AND {unchanged}",
    )


# ------------------------------------------------------ cancellation progress
def cancellation_progress(event_id: str) -> Item | None:
    return table.get(keys.cancellation_refunds(event_id), consistent=True)


def start_cancellation(event_id: str, orders_total: int, now: datetime) -> None:
    """Create the progress record once; a redelivered start finds it and goes on."""
    try:
        table.put(
            {
                **keys.cancellation_refunds(event_id),
                "entity": "cancellation_refunds",
                "event_id": event_id,
                "status": "running",
                "orders_total": orders_total,
                "orders_done": 0,
                "amount_refunded": 0,
                "cursor": "",
                "started_at": instant(now),
            },
            condition="attribute_not_exists(PK)",
        )
    except table.ConditionFailed:
        return


def advance_cancellation(
    event_id: str,
    *,
    read_cursor: str,
    cursor: str,
    orders: int,
    amount: int,
    done: bool,
    now: datetime,
) -> bool:
    """Move the cursor on past a page of orders refunded; False if another run did."""
    try:
        table.update(
            keys.cancellation_refunds(event_id),
            "SET #cursor = :cursor, orders_done = orders_done + :orders,"
            " amount_refunded = amount_refunded + :amount, #status = :status, updated_at = :now",
            names={"#cursor": "cursor", "#status": "status"},
            values={
                ":cursor": cursor,
                ":read": read_cursor,
                ":orders": orders,
                ":amount": amount,
                ":status": "completed" if done else "running",
                ":now": instant(now),
            },
            condition="#cursor = :read",
        )
    except table.ConditionFailed:
        return False
    return True


# ----------------------------------------------------------------- payouts
@dataclass(frozen=True)
class Payout:
    id: str
    venue_id: str
    currency: str
    amount: int
    fee: int
    instant: bool
    status: str
    requested_by: str
    created_at: datetime
    arrives_by: datetime

    @property
    def net(self) -> int:
        return self.amount - self.fee


def payout_item(payout: Payout) -> Item:
    return {
        **keys.payout(payout.venue_id, payout.id),
        "entity": "payout",
        "payout_id": payout.id,
        "venue_id": payout.venue_id,
        "currency": payout.currency,
        "amount": payout.amount,
        "fee": payout.fee,
        "instant": payout.instant,
        "status": payout.status,
        "requested_by": payout.requested_by,
        "created_at": instant(payout.created_at),
        "arrives_by": instant(payout.arrives_by),
    }


def to_payout(item: Mapping[str, Any]) -> Payout:
    return Payout(
        id=item["payout_id"],
        venue_id=item["venue_id"],
        currency=item["currency"],
        amount=int(item["amount"]),
        fee=int(item["fee"]),
        instant=bool(item["instant"]),
        status=item["status"],
        requested_by=item["requested_by"],
        created_at=datetime.fromisoformat(item["created_at"]),
        arrives_by=datetime.fromisoformat(item["arrives_by"]),
    )


def paid_out_on(venue_id: str, day: str, currency: str) -> int:
    """What the venue's payouts in ``currency`` of one UTC day add up to."""
    item = table.get(keys.payout_day(venue_id, day, currency), consistent=True)
    return int(item["total"]) if item else 0


def payout_ops(payout: Payout, *, day: str, paid_today: int) -> list[Op]:
    """The payout and the day's sum in its currency, which must not have moved since it
    was read (so two payouts never both count the same headroom under the daily limit)."""
    return [
        put_op(payout_item(payout), condition="attribute_not_exists(PK)"),
        update_op(
            keys.payout_day(payout.venue_id, day, payout.currency),
            "ADD #total :amount SET entity = :entity",
            names={"#total": "total"},
            values={":amount": payout.amount, ":entity": "payout_day"}
            | ({} if paid_today == 0 else {":read": paid_today}),
            condition="attribute_not_exists(#total)" if paid_today == 0 else "#total = :read",
        ),
    ]


def payouts_page(venue_id: str) -> list[Payout]:
    """A venue's payouts, newest first."""
    items = table.query_partition(
        keys.payout(venue_id, "")["PK"], sk_prefix="PAYOUT#pyo_", consistent=True
    )
    return sorted((to_payout(item) for item in items), key=lambda p: p.created_at, reverse=True)
