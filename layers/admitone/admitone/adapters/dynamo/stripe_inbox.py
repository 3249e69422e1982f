"""The Stripe webhook inbox on the table (ports/stripe_inbox.py).

Item: ``PK = STRIPE_EVENT#<event id>``, ``SK = STRIPE_EVENT``, the body exactly as Stripe
signed it, ``handled``, and ``expires_at`` (TTL). A handled event also has its FIFO
``group_id`` and ``enqueued``: false when written, true once the queue has it.

The pending list is a small marker beside it (``SK = PENDING``: the keys, the event id
and ``expires_at``), under ``GSI3PK = STRIPE_INBOX#pending#<nn>`` (128 shards, taken in turn)
(``GSI3SK = <received at>#<event id>``): written in the transaction that stores the
event, deleted in the one that marks it enqueued. The index thus carries the marker's
few hundred bytes (1 WCU an entry) and never the event's body (~4 KB, 4 WCU an entry, on
partitions every payment of the platform shares).

Items of the older shape (before 2026-12-06), the inbox item itself under GSI3 and no
marker, are still read off the same list and leave it when marked enqueued.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    Item,
    delete_op,
    first_of_sharded,
    from_attributes,
    get,
    get_many,
    put_op,
    update_op,
)
from admitone.domain.stripe_events import RETENTION_SECONDS, InboxItem, ReceivedEvent, Recorded
from admitone.ports.stripe_inbox import StripeInbox

ENTITY = "stripe_event"
MARKER_ENTITY = "stripe_event_pending"
# A live item blocks the write; one past its TTL that DynamoDB has not deleted yet
# (it deletes late, moto never) counts as gone.
_NEW_OR_EXPIRED = "attribute_not_exists(PK) OR expires_at < :now"


def inbox_key(event_id: str) -> dict[str, str]:
    return keys.stripe_event(event_id)


def _inbox_item(item: Item) -> InboxItem:
    return InboxItem(
        event_id=item["event_id"],
        event_type=item["event_type"],
        handled=item["handled"],
        group_id=item.get("group_id"),
        payload=item["payload"],
        enqueued=item.get("enqueued", False),
    )


def _new_item(event: ReceivedEvent, payload: str, received_at: int) -> Item:
    item: Item = {
        **inbox_key(event.event_id),
        "entity": ENTITY,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "handled": event.handled,
        "payload": payload,
        "received_at": received_at,
        "expires_at": received_at + RETENTION_SECONDS,
    }
    if event.handled:
        item |= {"group_id": event.group_id, "enqueued": False}
    return item


def _marker(event_id: str, now: datetime) -> Item:
    received_at = int(now.timestamp())
    return {
        **keys.stripe_event_pending(event_id),
        "entity": MARKER_ENTITY,
        "event_id": event_id,
        "expires_at": received_at + RETENTION_SECONDS,
        "GSI3PK": keys.stripe_inbox_pending(),
        "GSI3SK": f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}#{event_id}",
    }


class DynamoStripeInbox(StripeInbox):
    def record(self, event: ReceivedEvent, payload: str, *, now: datetime) -> Recorded:
        """One conditional Put (with the marker's, for a handled event, in one
        transaction): a repeated delivery gets the stored item back from the failed
        condition itself, with no read-then-write window."""
        item = _new_item(event, payload, int(now.timestamp()))
        put = put_op(item, condition=_NEW_OR_EXPIRED, values={":now": int(now.timestamp())})
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            if event.handled:
                marker = put_op(_marker(event.event_id, now))
                client("dynamodb").transact_write_items(TransactItems=[put, marker])
            else:
                client("dynamodb").put_item(**put["Put"])
        except ClientError as exc:
            stored = _stored_by_refusal(exc, event.event_id)
            return Recorded(_inbox_item(stored), first_delivery=False)
        return Recorded(_inbox_item(item), first_delivery=True)

    def mark_enqueued(self, event_id: str, *, now: datetime) -> None:
        # REMOVE of the GSI3 keys takes an item of the older shape off the list.
        update = update_op(
            inbox_key(event_id),
            "SET enqueued = :true, enqueued_at = :now REMOVE GSI3PK, GSI3SK",
            values={":true": True, ":now": int(now.timestamp())},
            condition="attribute_exists(PK)",
        )
        client("dynamodb").transact_write_items(
            TransactItems=[update, delete_op(keys.stripe_event_pending(event_id))]
        )

    def pending_since(self, before: datetime, *, limit: int) -> list[InboxItem]:
        """Oldest first over every shard of the list (GSI3); a marker's event is read
        with one BatchGetItem for the page."""
        entries, _ = first_of_sharded(
            "GSI3",
            keys.stripe_inbox_pending_lists(),
            limit=limit,
            sort_below=f"{before.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        )
        marked = [e["event_id"] for e in entries if e.get("entity") == MARKER_ENTITY]
        stored = {item["event_id"]: item for item in get_many([inbox_key(i) for i in marked])}
        found: list[InboxItem] = []
        for entry in entries:
            item = stored.get(entry["event_id"]) if entry.get("entity") == MARKER_ENTITY else entry
            # A marker whose item is gone (expired) has nothing left to queue.
            if item is not None and not item.get("enqueued", False):
                found.append(_inbox_item(item))
        return found

    def known(self, event_id: str, *, now: datetime) -> bool:
        item = get(inbox_key(event_id), consistent=True)
        return item is not None and item.get("expires_at", 0) >= int(now.timestamp())


def _stored_by_refusal(exc: ClientError, event_id: str) -> Item:
    """The live item that refused a second write of ``event_id``, or re-raise ``exc``."""
    response: dict[str, Any] = dict(exc.response)
    code = response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException" and "Item" in response:
        return from_attributes(response["Item"])
    if code == "TransactionCanceledException":
        reasons = response.get("CancellationReasons", [])
        if (
            reasons
            and reasons[0].get("Code") == "ConditionalCheckFailed"
            and reasons[0].get("Item")
        ):
            return from_attributes(reasons[0]["Item"])
    if code in {"TransactionCanceledException", "TransactionConflictException"}:
        # Two deliveries of one event at once: the other one's write may have landed.
        stored = get(inbox_key(event_id), consistent=True)
        if stored is not None:
            return stored
    raise exc
