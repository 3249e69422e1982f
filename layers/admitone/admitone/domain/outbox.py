"""Outbox delivery (RULES §7): when a failed publish is tried again, and when it stops.

An item is published at least once; consumers deduplicate by ``detail.event_id``. A
failed attempt waits 1 s, doubling per attempt, capped at 60 s, with ±30 % jitter so
that items that failed together do not retry together. The 5th failure dead-letters the
item: it is never reset silently; an alarm and an operator decide.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from admitone.domain.events import SCHEMA_VERSION, SCHEMAS, EventData

PENDING = "pending"
PUBLISHED = "published"
DEAD = "dead"
MAX_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=60)
JITTER = 0.3
# How ``occurred_at`` reads in an event's detail (and orders the outbox's work list).
OCCURRED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def retry_delay(attempts_made: int, jitter: float) -> timedelta:
    """The wait before attempt ``attempts_made + 1``; ``jitter`` is uniform in [-1, 1]."""
    if attempts_made < 1:
        raise ValueError("a retry follows at least one attempt")
    if not -1.0 <= jitter <= 1.0:
        raise ValueError("jitter must be within [-1, 1]")
    doubled: timedelta = FIRST_DELAY * 2 ** (attempts_made - 1)
    return min(doubled, MAX_DELAY) * (1 + JITTER * jitter)


def is_exhausted(attempts_made: int) -> bool:
    """Whether an item that failed ``attempts_made`` times goes to the dead letters."""
    return attempts_made >= MAX_ATTEMPTS


@dataclass(frozen=True)
class OutboxItem:
    """A domain event waiting for (or past) its publication: ``detail`` is what the bus
    carries (``schema_version``, ``event_id``, ``occurred_at``, ``data``)."""

    id: str
    event_type: str
    detail: Mapping[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        return self.status == PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    @property
    def occurred_at(self) -> str:
        return str(self.detail["occurred_at"])


def announcement(event_type: str, data: EventData, *, now: datetime) -> OutboxItem:
    """A new pending item announcing ``data`` as ``event_type``; its id is the
    ``event_id`` consumers deduplicate by. ``data`` must be the model of its type
    (domain/events.py): a mismatch is a bug, a ``TypeError`` in the request that made it
    rather than a consumer failing days later."""
    model = SCHEMAS.get(event_type)
    if model is None or type(data) is not model:
        raise TypeError(f"{event_type!r} is announced with {model}, not {type(data).__name__}")
    item_id = f"obx_{int(now.timestamp() * 1000):013d}{secrets.token_hex(6)}"
    return OutboxItem(
        id=item_id,
        event_type=event_type,
        detail={
            "schema_version": SCHEMA_VERSION,
            "event_id": item_id,
            "occurred_at": now.strftime(OCCURRED_FORMAT),
            "data": data.model_dump(mode="json"),
        },
        status=PENDING,
        attempts=0,
    )
