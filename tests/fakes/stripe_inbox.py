"""The Stripe webhook inbox, in memory (as adapters/dynamo/stripe_inbox.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from admitone.domain.stripe_events import RETENTION_SECONDS, InboxItem, ReceivedEvent, Recorded
from admitone.ports.stripe_inbox import StripeInbox


@dataclass
class _Entry:
    item: InboxItem
    received_at: datetime
    expires_at: int


class FakeStripeInbox(StripeInbox):
    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self.entries: dict[str, _Entry] = {}

    def record(self, event: ReceivedEvent, payload: str, *, now: datetime) -> Recorded:
        with self._lock:
            stored = self.entries.get(event.event_id)
            if stored is not None and stored.expires_at >= int(now.timestamp()):
                return Recorded(stored.item, first_delivery=False)
            item = InboxItem(
                event_id=event.event_id,
                event_type=event.event_type,
                handled=event.handled,
                group_id=event.group_id,
                payload=payload,
                enqueued=False,
            )
            self.entries[event.event_id] = _Entry(
                item, now, int(now.timestamp()) + RETENTION_SECONDS
            )
            return Recorded(item, first_delivery=True)

    def mark_enqueued(self, event_id: str, *, now: datetime) -> None:
        with self._lock:
            entry = self.entries.get(event_id)
            if entry is None:
                raise LookupError(f"no inbox item {event_id}")
            entry.item = replace(entry.item, enqueued=True)

    def pending_since(self, before: datetime, *, limit: int) -> list[InboxItem]:
        # Whole seconds, as the table's sort key keeps them.
        cutoff = before.replace(microsecond=0)
        with self._lock:
            waiting = [
                entry
                for entry in self.entries.values()
                if entry.item.handled
                and not entry.item.enqueued
                and entry.received_at.replace(microsecond=0) < cutoff
            ]
        waiting.sort(
            key=lambda entry: (entry.received_at.replace(microsecond=0), entry.item.event_id)
        )
        return [entry.item for entry in waiting[:limit]]

    def known(self, event_id: str, *, now: datetime) -> bool:
        entry = self.entries.get(event_id)
        return entry is not None and entry.expires_at >= int(now.timestamp())
