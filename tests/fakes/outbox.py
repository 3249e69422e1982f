"""The outbox, in memory (as adapters/dynamo/outbox.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from admitone.domain.events import EventData
from admitone.domain.outbox import (
    DEAD,
    OCCURRED_FORMAT,
    PENDING,
    PUBLISHED,
    OutboxItem,
    announcement,
)
from admitone.ports.outbox import Outbox, OutboxChanges
from tests.fakes.transaction import FakeTransaction

_MAX_ERROR_CHARS = 500


@dataclass
class _Entry:
    item: OutboxItem
    lease_until: datetime | None = None
    last_error: str | None = None


class FakeOutbox(Outbox):
    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self.entries: dict[str, _Entry] = {}

    def get(self, outbox_id: str) -> OutboxItem | None:
        entry = self.entries.get(outbox_id)
        return entry.item if entry else None

    def last_error(self, outbox_id: str) -> str | None:
        return self.entries[outbox_id].last_error

    def lease(self, outbox_id: str, *, now: datetime, until: datetime) -> OutboxItem | None:
        with self._lock:
            entry = self.entries.get(outbox_id)
            if entry is None or not entry.item.is_due(now):
                return None
            if entry.lease_until is not None and entry.lease_until > now:
                return None
            entry.lease_until = until
            return entry.item

    def mark_published(self, outbox_id: str, *, now: datetime) -> bool:
        with self._lock:
            entry = self._pending(outbox_id)
            if entry is None:
                return False
            entry.item = replace(entry.item, status=PUBLISHED)
            entry.lease_until = None
            return True

    def record_failure(self, outbox_id: str, *, error: str, retry_at: datetime) -> None:
        with self._lock:
            entry = self._pending(outbox_id)
            if entry is not None:
                entry.item = replace(
                    entry.item, attempts=entry.item.attempts + 1, next_attempt_at=retry_at
                )
                entry.last_error = error[:_MAX_ERROR_CHARS]
                entry.lease_until = None

    def dead_letter(self, outbox_id: str, *, error: str, now: datetime) -> None:
        with self._lock:
            entry = self._pending(outbox_id)
            if entry is not None:
                entry.item = replace(entry.item, attempts=entry.item.attempts + 1, status=DEAD)
                entry.last_error = error[:_MAX_ERROR_CHARS]
                entry.lease_until = None

    def pending(self, *, limit: int, occurred_before: datetime | None = None) -> list[OutboxItem]:
        with self._lock:
            items = sorted(
                (e.item for e in self.entries.values() if e.item.status == PENDING),
                key=lambda item: (item.occurred_at, item.id),
            )
        if occurred_before is not None:
            before = occurred_before.strftime(OCCURRED_FORMAT)
            items = [item for item in items if item.occurred_at < before]
        return items[:limit]

    def _pending(self, outbox_id: str) -> _Entry | None:
        entry = self.entries.get(outbox_id)
        return entry if entry is not None and entry.item.status == PENDING else None


class FakeOutboxChanges(OutboxChanges):
    def __init__(self, outbox: FakeOutbox, transaction: FakeTransaction) -> None:
        self._outbox = outbox
        self._transaction = transaction

    def announce(self, event_type: str, data: EventData, *, now: datetime) -> str:
        item = announcement(event_type, data, now=now)
        self._transaction.stage(
            f"outbox {item.id}",
            holds=lambda: item.id not in self._outbox.entries,
            apply=lambda: self._outbox.entries.__setitem__(item.id, _Entry(item)),
        )
        return item.id
