"""The Stripe webhook inbox: one item per Stripe event id, kept 30 days (RULES §6).

Item: ``PK = STRIPE_EVENT#<event id>``, ``SK = STRIPE_EVENT``, the body exactly as Stripe
signed it, ``handled``, and ``expires_at`` (TTL). A handled event also has its FIFO
``group_id`` and ``enqueued``: false when written, true once the queue has it. While
false it sits under ``GSI3PK = STRIPE_INBOX#pending#<shard of the event id>`` (``GSI3SK =
<received at>#<event id>``), the work list a reconcile job re-drives; marking it enqueued
removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    Item,
    first_of_sharded,
    from_attributes,
    get,
    to_attributes,
    update,
)
from admitone.config import settings
from admitone.domain.stripe_events import RETENTION_SECONDS, ReceivedEvent

ENTITY = "stripe_event"
# A live item blocks the write; one past its TTL that DynamoDB has not deleted yet
# (it deletes late, moto never) counts as gone.
_NEW_OR_EXPIRED = "attribute_not_exists(PK) OR expires_at < :now"


def inbox_key(event_id: str) -> dict[str, str]:
    return keys.stripe_event(event_id)


@dataclass(frozen=True)
class InboxItem:
    event_id: str
    event_type: str
    handled: bool
    group_id: str | None
    payload: str
    enqueued: bool

    @classmethod
    def from_item(cls, item: Item) -> InboxItem:
        return cls(
            event_id=item["event_id"],
            event_type=item["event_type"],
            handled=item["handled"],
            group_id=item.get("group_id"),
            payload=item["payload"],
            enqueued=item.get("enqueued", False),
        )


@dataclass(frozen=True)
class Recorded:
    """The inbox item of an event, and whether this delivery wrote it."""

    item: InboxItem
    first_delivery: bool


def _new_item(event: ReceivedEvent, payload: str, now: datetime) -> Item:
    received_at = int(now.timestamp())
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
        item |= {
            "group_id": event.group_id,
            "enqueued": False,
            "GSI3PK": keys.stripe_inbox_pending(event.event_id),
            "GSI3SK": f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}#{event.event_id}",
        }
    return item


def record(event: ReceivedEvent, payload: str, *, now: datetime) -> Recorded:
    """Store ``event`` unless a live item already holds its id; returns the item either way.

    One conditional Put: a repeated delivery gets the stored item back from the failed
    condition itself, with no read-then-write window.
    """
    item = _new_item(event, payload, now)
    try:
        client("dynamodb").put_item(
            TableName=settings().table_name,
            Item=to_attributes(item),
            ConditionExpression=_NEW_OR_EXPIRED,
            ExpressionAttributeValues=to_attributes({":now": int(now.timestamp())}),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        stored: dict[str, Any] = exc.response["Item"]
        return Recorded(InboxItem.from_item(from_attributes(stored)), first_delivery=False)
    return Recorded(InboxItem.from_item(item), first_delivery=True)


def mark_enqueued(event_id: str, *, now: datetime) -> None:
    """The queue has the event: take it off the pending list."""
    update(
        inbox_key(event_id),
        "SET enqueued = :true, enqueued_at = :now REMOVE GSI3PK, GSI3SK",
        values={":true": True, ":now": int(now.timestamp())},
        condition="attribute_exists(PK)",
    )


def pending_since(before: datetime, *, limit: int) -> list[InboxItem]:
    """Handled events stored before ``before`` and never queued, oldest first over every
    shard of the list (GSI3)."""
    items, _ = first_of_sharded(
        "GSI3",
        keys.stripe_inbox_pending_lists(),
        limit=limit,
        sort_below=f"{before.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
    )
    return [InboxItem.from_item(item) for item in items]


def known(event_id: str) -> bool:
    """Whether the event is in the inbox (and not past its 30 days)."""
    item = get(inbox_key(event_id), consistent=True)
    return item is not None and item.get("expires_at", 0) >= int(datetime.now(UTC).timestamp())
