"""When reminders are due (RULES §15).

Registration reminders go to the purchaser at purchase (the invite itself), then 24 h,
72 h and 7 days after it, and 24 h before the deadline; any that would fall at or after
the deadline is skipped, and they stop once every ticket is named (the caller knows
that). When a run finds several due (the cron was down), only the latest is sent: the
earlier ones are stale. The event reminder goes 24 h before the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

AFTER_PURCHASE = (
    ("after_24h", timedelta(hours=24)),
    ("after_72h", timedelta(hours=72)),
    ("after_7d", timedelta(days=7)),
)
BEFORE_DEADLINE = ("deadline_24h", timedelta(hours=24))
EVENT_REMINDER_LEAD = timedelta(hours=24)


def registration_reminder_due(paid_at: datetime, deadline: datetime, now: datetime) -> str | None:
    """The registration reminder to send at ``now`` (its slot name), if any."""
    if now >= deadline:
        return None
    name, lead = BEFORE_DEADLINE
    slots = [(slot, paid_at + offset) for slot, offset in AFTER_PURCHASE]
    slots.append((name, deadline - lead))
    due = [(at, slot) for slot, at in slots if paid_at < at <= now and at < deadline]
    return max(due)[1] if due else None


def event_reminder_due(starts_at: datetime, now: datetime) -> bool:
    return starts_at - EVENT_REMINDER_LEAD <= now < starts_at
