"""Outbox items: domain events written in the same transaction as the change they
announce, published to the bus by outbox_drain (events/README.md has the schemas)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import put_op

SCHEMA_VERSION = 1


def outbox_op(event_type: str, data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A Put of a pending outbox item, to join the transaction of the change itself."""
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
                "data": data,
            },
            "status": "pending",
            "attempts": 0,
            "created_at": int(now.timestamp()),
            "GSI3PK": keys.OUTBOX_PENDING,
            "GSI3SK": f"{occurred_at}#{item_id}",
        },
        condition="attribute_not_exists(PK)",
    )
