"""Outbox items: domain events written in the same transaction as the change they
announce, published to the bus by outbox_drain (events/README.md has the schemas).

Item (``keys.outbox``): ``outbox_id``, ``event_type``, ``detail`` (what the bus carries),
``status`` (pending | published | dead), ``attempts`` (failed publishes), ``created_at``,
``next_attempt_at`` and ``lease_until`` (ISO 8601; absent until needed), ``last_error``,
``published_at``. GSI3 ``OUTBOX#pending`` (then ``OUTBOX#dead``) / ``<occurred at>#<id>``:
the drain's work list, oldest first; a published item leaves the index.

A publisher first takes a short lease on the item (one conditional update), so the
stream and the sweep do not publish it at the same moment; a publisher that dies
after publishing lets the lease run out and the item is published again: delivery is
at least once, and consumers deduplicate by ``detail.event_id``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import instant, put_op
from admitone.domain.events import SCHEMA_VERSION, checked_data

PENDING = "pending"
PUBLISHED = "published"
DEAD = "dead"
_MAX_ERROR_CHARS = 500


def outbox_op(event_type: str, data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A Put of a pending outbox item, to join the transaction of the change itself.

    ``data`` must fit its event type's schema (domain/events.py): a bug fails here, in
    the request that wrote it, not in a consumer days later."""
    item_id = f"obx_{int(now.timestamp() * 1000):013d}{secrets.token_hex(6)}"
    occurred_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return put_op(
        {
            **keys.outbox(item_id),
            "entity": "outbox",
            "outbox_id": item_id,
            "event_type": event_type,
            "detail": {
                "schema_version": SCHEMA_VERSION,
                "event_id": item_id,
                "occurred_at": occurred_at,
                "data": checked_data(event_type, data),
            },
            "status": PENDING,
            "attempts": 0,
            "created_at": int(now.timestamp()),
            "GSI3PK": keys.OUTBOX_PENDING,
            "GSI3SK": f"{occurred_at}#{item_id}",
        },
        condition="attribute_not_exists(PK)",
    )


@dataclass(frozen=True)
class OutboxItem:
    id: str
    event_type: str
    detail: Mapping[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> OutboxItem:
        due = item.get("next_attempt_at")
        return cls(
            id=item["outbox_id"],
            event_type=item["event_type"],
            detail=item["detail"],
            status=item["status"],
            attempts=int(item["attempts"]),
            next_attempt_at=datetime.fromisoformat(due) if due else None,
        )

    def is_due(self, now: datetime) -> bool:
        return self.status == PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


def get_item(outbox_id: str) -> OutboxItem | None:
    item = table.get(keys.outbox(outbox_id), consistent=True)
    return OutboxItem.from_item(item) if item else None


def lease(outbox_id: str, *, now: datetime, until: datetime) -> OutboxItem | None:
    """Take the item to publish it: None unless it is pending, due and not leased."""
    try:
        item = table.update(
            keys.outbox(outbox_id),
            "SET lease_until = :until",
            values={":until": instant(until), ":now": instant(now), ":pending": PENDING},
            names={"#status": "status"},
            condition=(
                "#status = :pending"
                " AND (attribute_not_exists(next_attempt_at) OR next_attempt_at <= :now)"
                " AND (attribute_not_exists(lease_until) OR lease_until <= :now)"
            ),
        )
    except table.ConditionFailed:
        return None
    return OutboxItem.from_item(item)


def mark_published(outbox_id: str, *, now: datetime) -> None:
    table.update(
        keys.outbox(outbox_id),
        "SET #status = :published, published_at = :now REMOVE GSI3PK, GSI3SK, lease_until",
        values={":published": PUBLISHED, ":now": instant(now), ":pending": PENDING},
        names={"#status": "status"},
        condition="#status = :pending",
    )


def record_failure(outbox_id: str, *, error: str, retry_at: datetime) -> None:
    """One more failed attempt; the next is due at ``retry_at``."""
    table.update(
        keys.outbox(outbox_id),
        "SET attempts = attempts + :one, next_attempt_at = :due, last_error = :error"
        " REMOVE lease_until",
        values={
            ":one": 1,
            ":due": instant(retry_at),
            ":error": error[:_MAX_ERROR_CHARS],
            ":pending": PENDING,
        },
        names={"#status": "status"},
        condition="#status = :pending",
    )


def dead_letter(outbox_id: str, *, error: str, now: datetime) -> None:
    """The last failed attempt: the item leaves the work list for the dead letters."""
    table.update(
        keys.outbox(outbox_id),
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
        names={"#status": "status"},
        condition="#status = :pending",
    )


def pending(*, limit: int, occurred_before: datetime | None = None) -> list[OutboxItem]:
    """Unpublished items, oldest first (optionally only those older than a moment)."""
    items, _ = table.index_page(
        "GSI3",
        keys.OUTBOX_PENDING,
        limit=limit,
        sort_below=occurred_before.strftime("%Y-%m-%dT%H:%M:%SZ") if occurred_before else None,
    )
    return [OutboxItem.from_item(item) for item in items]
