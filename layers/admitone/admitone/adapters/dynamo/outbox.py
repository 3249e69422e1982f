"""Outbox items: domain events written in the same transaction as the change they
announce, published to the bus by outbox_drain (events/README.md has the schemas).

Item (``keys.outbox``): ``outbox_id``, ``event_type``, ``detail`` (what the bus carries),
``status`` (pending | published | dead), ``attempts`` (failed publishes), ``created_at``,
``next_attempt_at`` and ``lease_until`` (ISO 8601; absent until needed), ``last_error``,
``published_at``. GSI3 ``OUTBOX#pending#<shard taken in turn>`` (then ``OUTBOX#dead``) /
``<occurred at>#<id>``: the drain's work list, oldest first over every shard; a published
item leaves the index.

A publisher first takes a short lease on the item (one conditional update), so the
stream and the sweep do not publish it at the same moment; a publisher that dies
after publishing lets the lease run out and the item is published again: delivery is
at least once, and consumers deduplicate by ``detail.event_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import UnicodeAttribute

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.items import (
    DocumentAttribute,
    InstantAttribute,
    IntegerAttribute,
    TableItem,
    serialized_key,
)
from admitone.adapters.dynamo.table import instant
from admitone.adapters.dynamo.transaction import Transaction
from admitone.config import settings
from admitone.domain.events import SCHEMAS, EventData
from admitone.domain.outbox import (
    DEAD,
    OCCURRED_FORMAT,
    PENDING,
    PUBLISHED,
    OutboxItem,
    announcement,
)
from admitone.ports.outbox import Outbox, OutboxChanges

_MAX_ERROR_CHARS = 500


class OutboxRecord(TableItem, discriminator="outbox"):
    outbox_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    detail = DocumentAttribute()
    status = UnicodeAttribute()
    attempts = IntegerAttribute()
    created_at = IntegerAttribute()
    next_attempt_at = InstantAttribute(null=True)
    lease_until = InstantAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    published_at = InstantAttribute(null=True)
    dead_at = InstantAttribute(null=True)


def _to_domain(record: OutboxRecord) -> OutboxItem:
    return OutboxItem(
        id=record.outbox_id,
        event_type=record.event_type,
        detail=record.detail,
        status=record.status,
        attempts=record.attempts,
        next_attempt_at=record.next_attempt_at,
    )


def new_record(item: OutboxItem, *, now: datetime) -> OutboxRecord:
    return OutboxRecord.at(
        keys.outbox(item.id),
        outbox_id=item.id,
        event_type=item.event_type,
        detail=dict(item.detail),
        status=item.status,
        attempts=item.attempts,
        created_at=int(now.timestamp()),
        GSI3PK=keys.outbox_pending(),
        GSI3SK=keys.outbox_pending_position(item.occurred_at, item.id),
    )


def _put(record: OutboxRecord) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": settings().table_name,
            "Item": record.attributes(),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def outbox_op(event_type: str, data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A Put of a pending outbox item, to join the transaction of the change itself.

    ``data`` must fit its event type's schema (domain/events.py): a bug fails here, in
    the request that wrote it, not in a consumer days later."""
    item = announcement(event_type, SCHEMAS[event_type].model_validate(data), now=now)
    return _put(new_record(item, now=now))


class DynamoOutboxChanges(OutboxChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def announce(self, event_type: str, data: EventData, *, now: datetime) -> str:
        item = announcement(event_type, data, now=now)
        self._transaction.stage(f"outbox {item.id}", _put(new_record(item, now=now)))
        return item.id


class DynamoOutbox(Outbox):
    def get(self, outbox_id: str) -> OutboxItem | None:
        raw = _get(outbox_id)
        return _to_domain(OutboxRecord.from_raw(raw)) if raw else None

    def lease(self, outbox_id: str, *, now: datetime, until: datetime) -> OutboxItem | None:
        updated = _update(
            outbox_id,
            "SET lease_until = :until",
            values={":until": instant(until), ":now": instant(now), ":pending": PENDING},
            condition=(
                "#status = :pending"
                " AND (attribute_not_exists(next_attempt_at) OR next_attempt_at <= :now)"
                " AND (attribute_not_exists(lease_until) OR lease_until <= :now)"
            ),
        )
        return _to_domain(OutboxRecord.from_raw(updated)) if updated else None

    def mark_published(self, outbox_id: str, *, now: datetime) -> bool:
        updated = _update(
            outbox_id,
            "SET #status = :published, published_at = :now REMOVE GSI3PK, GSI3SK, lease_until",
            values={":published": PUBLISHED, ":now": instant(now), ":pending": PENDING},
            condition="#status = :pending",
        )
        return updated is not None

    def record_failure(self, outbox_id: str, *, error: str, retry_at: datetime) -> None:
        _update(
            outbox_id,
            "SET attempts = attempts + :one, next_attempt_at = :due, last_error = :error"
            " REMOVE lease_until",
            values={
                ":one": 1,
                ":due": instant(retry_at),
                ":error": error[:_MAX_ERROR_CHARS],
                ":pending": PENDING,
            },
            condition="#status = :pending",
        )

    def dead_letter(self, outbox_id: str, *, error: str, now: datetime) -> None:
        _update(
            outbox_id,
            "SET attempts = attempts + :one, #status = :dead, last_error = :error, dead_at = :now,"
            " GSI3PK = :dead_list REMOVE lease_until",
            values={
                ":one": 1,
                ":dead": DEAD,
                ":error": error[:_MAX_ERROR_CHARS],
                ":now": instant(now),
                ":dead_list": keys.OUTBOX_DEAD,
                ":pending": PENDING,
            },
            condition="#status = :pending",
        )

    def pending(self, *, limit: int, occurred_before: datetime | None = None) -> list[OutboxItem]:
        page, _ = table.first_of_sharded_raw(
            "GSI3",
            keys.outbox_pending_lists(),
            limit=limit,
            sort_below=occurred_before.strftime(OCCURRED_FORMAT) if occurred_before else None,
        )
        return [_to_domain(OutboxRecord.from_raw(raw)) for raw in page]


def _get(outbox_id: str) -> dict[str, Any] | None:
    response = client("dynamodb").get_item(
        TableName=settings().table_name,
        Key=serialized_key(keys.outbox(outbox_id)),
        ConsistentRead=True,
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def _update(
    outbox_id: str, expression: str, *, values: dict[str, Any], condition: str
) -> dict[str, Any] | None:
    """The item after the update; None when ``condition`` does not hold."""
    try:
        response = client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=serialized_key(keys.outbox(outbox_id)),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=table.to_attributes(values),
            ConditionExpression=condition,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    attributes: dict[str, Any] = response["Attributes"]
    return attributes
