"""Registration reminders at +24 h, +72 h, +7 d and deadline - 24 h; the event reminder 24 h
before the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.reminders import event_reminder_due, registration_reminder_due

PAID = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEADLINE = PAID + timedelta(days=20)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("after", "slot"),
    [
        (H, None),
        (24 * H - timedelta(seconds=1), None),
        (24 * H, "after_24h"),
        (71 * H, "after_24h"),
        (72 * H, "after_72h"),
        (7 * 24 * H, "after_7d"),
        (19 * 24 * H, "deadline_24h"),
        (20 * 24 * H, None),  # the deadline itself: registration is closed
    ],
)
def test_the_latest_due_slot_is_the_one_to_send(after: timedelta, slot: str | None):
    assert registration_reminder_due(PAID, DEADLINE, PAID + after) == slot


def test_slots_at_or_after_the_deadline_are_skipped():
    deadline = PAID + 50 * H  # +72 h and +7 d fall after it
    assert registration_reminder_due(PAID, deadline, PAID + 25 * H) == "after_24h"
    # deadline - 24 h = +26 h comes after +24 h: from then on it is the latest due.
    assert registration_reminder_due(PAID, deadline, PAID + 49 * H) == "deadline_24h"


def test_a_purchase_a_day_before_the_deadline_gets_no_deadline_reminder():
    deadline = PAID + 10 * H  # deadline - 24 h is before the purchase: the invite said it
    assert registration_reminder_due(PAID, deadline, PAID + 9 * H) is None


def test_the_event_reminder_is_due_in_the_last_day_before_the_start():
    starts = PAID + 48 * H
    assert not event_reminder_due(starts, starts - 24 * H - timedelta(seconds=1))
    assert event_reminder_due(starts, starts - 24 * H)
    assert event_reminder_due(starts, starts - timedelta(seconds=1))
    assert not event_reminder_due(starts, starts)
