"""Organizer webhook endpoints and their delivery log.

Endpoint (``keys.webhook_endpoint``): ``endpoint_id``, ``owner_id``, ``url``, ``events``,
``secret`` (needed to sign; never shown again after creation; sealed by the envelopes
port, or in clear if stored before sealing, sealed in place by ``seal_secret``),
``created_at``. GSI1
``OWNER#<user>`` / ``WEBHOOK#<created at>#<id>``: an organizer's endpoints.

Delivery (``keys.webhook_delivery``, in the endpoint's partition, so its log is one
query): ``message_id`` (the domain event id), ``event_type``, ``body`` (kept for the
retries), ``status`` (pending | delivered | failed), ``attempts``, ``log`` (one entry
per attempt: ``at``, and ``status_code`` or ``error``, a stable reason from
domain/webhooks.py, never an exception's text), ``next_attempt_at``; GSI3
``WEBHOOK_RETRY#pending`` / ``<next attempt at>#<id>`` while a retry is due; ``expires_at``
= +30 days (the table's TTL: RULES §7 keeps the log 30 days).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import instant
from admitone.domain.webhooks import Endpoint

LOG_RETENTION = timedelta(days=30)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


# ----------------------------------------------------------------- endpoints
def put_endpoint(endpoint: Endpoint) -> None:
    created = instant(endpoint.created_at)
    table.put(
        {
            **keys.webhook_endpoint(endpoint.id),
            "entity": "webhook_endpoint",
            "endpoint_id": endpoint.id,
            "owner_id": endpoint.owner_id,
            "url": endpoint.url,
            "events": list(endpoint.events),
            "secret": endpoint.secret,
            "created_at": created,
            "GSI1PK": keys.owned_by(endpoint.owner_id),
            "GSI1SK": f"WEBHOOK#{created}#{endpoint.id}",
        },
        condition="attribute_not_exists(PK)",
    )


def seal_secret(endpoint_id: str, clear: str, sealed: str) -> None:
    """Replace an endpoint's clear secret by its sealed form, only while it still holds
    ``clear`` (a concurrent delivery may have sealed it first: then nothing changes)."""
    with contextlib.suppress(table.ConditionFailed):
        table.update(
            keys.webhook_endpoint(endpoint_id),
            "SET #secret = :sealed",
            values={":sealed": sealed, ":clear": clear},
            names={"#secret": "secret"},
            condition="#secret = :clear",
        )


def _to_endpoint(item: Mapping[str, Any]) -> Endpoint:
    return Endpoint(
        id=item["endpoint_id"],
        owner_id=item["owner_id"],
        url=item["url"],
        events=tuple(item["events"]),
        secret=item["secret"],
        created_at=datetime.fromisoformat(item["created_at"]),
    )


def endpoint(endpoint_id: str) -> Endpoint | None:
    item = table.get(keys.webhook_endpoint(endpoint_id), consistent=True)
    return _to_endpoint(item) if item else None


def delete_endpoint(endpoint_id: str) -> None:
    table.delete(keys.webhook_endpoint(endpoint_id))


def endpoints_of(owner_id: str) -> list[Endpoint]:
    items, _ = table.index_page("GSI1", keys.owned_by(owner_id), limit=100, sort_prefix="WEBHOOK#")
    return [_to_endpoint(item) for item in items]


# ---------------------------------------------------------------- deliveries
@dataclass(frozen=True)
class Delivery:
    endpoint_id: str
    message_id: str
    event_type: str
    body: str
    status: str = PENDING
    attempts: int = 0
    log: tuple[Mapping[str, Any], ...] = field(default=())
    next_attempt_at: datetime | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Delivery:
        due = item.get("next_attempt_at")
        return cls(
            endpoint_id=item["endpoint_id"],
            message_id=item["message_id"],
            event_type=item["event_type"],
            body=item["body"],
            status=item["status"],
            attempts=int(item["attempts"]),
            log=tuple(item.get("log", [])),
            next_attempt_at=datetime.fromisoformat(due) if due else None,
        )


def new_delivery(delivery: Delivery, *, now: datetime) -> bool:
    """Record a delivery to make; False when this event was delivered (or is being)
    to this endpoint already."""
    try:
        table.put(
            {
                **keys.webhook_delivery(delivery.endpoint_id, delivery.message_id),
                "entity": "webhook_delivery",
                "endpoint_id": delivery.endpoint_id,
                "message_id": delivery.message_id,
                "event_type": delivery.event_type,
                "body": delivery.body,
                "status": PENDING,
                "attempts": 0,
                "log": [],
                "created_at": instant(now),
                "expires_at": int((now + LOG_RETENTION).timestamp()),
            },
            condition="attribute_not_exists(PK)",
        )
    except table.ConditionFailed:
        return False
    return True


def record_attempt(
    delivery: Delivery,
    entry: Mapping[str, Any],
    *,
    status: str,
    retry_at: datetime | None,
) -> Delivery:
    """Log one attempt (condition: nobody logged another meanwhile) and what follows."""
    expression = (
        "SET attempts = attempts + :one, #status = :status, #log = list_append(#log, :entry)"
    )
    values: dict[str, Any] = {
        ":one": 1,
        ":status": status,
        ":entry": [dict(entry)],
        ":seen": delivery.attempts,
    }
    if retry_at is not None:
        expression += ", next_attempt_at = :due, GSI3PK = :retries, GSI3SK = :position"
        values |= {
            ":due": instant(retry_at),
            ":retries": keys.WEBHOOK_RETRIES,
            ":position": f"{instant(retry_at)}#{delivery.endpoint_id}#{delivery.message_id}",
        }
    else:
        expression += " REMOVE next_attempt_at, GSI3PK, GSI3SK"
    item = table.update(
        keys.webhook_delivery(delivery.endpoint_id, delivery.message_id),
        expression,
        values=values,
        names={"#status": "status", "#log": "log"},
        condition="attempts = :seen",
    )
    return Delivery.from_item(item)


def delivery(endpoint_id: str, message_id: str) -> Delivery | None:
    item = table.get(keys.webhook_delivery(endpoint_id, message_id), consistent=True)
    return Delivery.from_item(item) if item else None


def deliveries_of(endpoint_id: str, *, limit: int) -> list[Delivery]:
    """The endpoint's delivery log, newest first."""
    request = {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": table.to_attributes(
            {":pk": keys.webhook_endpoint(endpoint_id)["PK"], ":prefix": "DELIVERY#"}
        ),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    for page, _ in table.query_pages(request):
        return [Delivery.from_item(item) for item in page]
    return []  # pragma: no cover  (query_pages yields at least one page)


def retries_due(now: datetime, *, limit: int) -> list[Delivery]:
    items, _ = table.index_page("GSI3", keys.WEBHOOK_RETRIES, limit=limit, sort_below=instant(now))
    return [Delivery.from_item(item) for item in items]
