"""Outbox retry schedule: 1 s doubling, capped at 60 s, ±30 % jitter, 5 attempts; which
items are due; an announcement carries exactly its type's model."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.events import OrderEnded, OrderPaid
from admitone.domain.outbox import (
    DEAD,
    MAX_ATTEMPTS,
    PENDING,
    PUBLISHED,
    announcement,
    is_exhausted,
    retry_delay,
)


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (30, 60)]
)
def test_the_delay_doubles_from_one_second_up_to_a_minute(attempts: int, seconds: int):
    assert retry_delay(attempts, 0.0) == timedelta(seconds=seconds)


@given(st.integers(1, 40), st.floats(-1.0, 1.0))
def test_jitter_stays_within_thirty_percent(attempts: int, jitter: float):
    base = retry_delay(attempts, 0.0)
    assert base * 0.7 <= retry_delay(attempts, jitter) <= base * 1.3


@pytest.mark.parametrize(("attempts", "jitter"), [(0, 0.0), (1, 1.5), (1, -1.01)])
def test_nonsense_is_refused(attempts: int, jitter: float):
    with pytest.raises(ValueError, match=r"retry follows|jitter must"):
        retry_delay(attempts, jitter)


def test_the_fifth_failure_is_the_last():
    assert MAX_ATTEMPTS == 5
    assert not is_exhausted(4)
    assert is_exhausted(5)


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
EXPIRED = OrderEnded(order_id="ord_1", event_id="evt_1", reason="expired")


def test_an_announcement_is_a_pending_item_due_at_once_whose_id_consumers_dedupe_by():
    item = announcement("order.expired", EXPIRED, now=NOW)
    assert (item.status, item.attempts, item.event_type) == (PENDING, 0, "order.expired")
    assert item.detail == {
        "schema_version": 1,
        "event_id": item.id,
        "occurred_at": "2026-12-05T12:00:00Z",
        "data": {"order_id": "ord_1", "event_id": "evt_1", "reason": "expired"},
    }
    assert item.occurred_at == "2026-12-05T12:00:00Z"
    assert item.is_due(NOW)
    assert announcement("order.expired", EXPIRED, now=NOW).id != item.id


def test_a_failed_item_is_due_again_once_its_delay_has_passed():
    retry_at = NOW + retry_delay(1, 0.0)
    waiting = replace(
        announcement("order.expired", EXPIRED, now=NOW), attempts=1, next_attempt_at=retry_at
    )
    assert not waiting.is_due(retry_at - timedelta(microseconds=1))
    assert waiting.is_due(retry_at)
    assert waiting.is_due(retry_at + timedelta(hours=1))


@pytest.mark.parametrize("status", [PUBLISHED, DEAD])
def test_a_published_or_dead_item_is_never_due(status: str):
    item = replace(announcement("order.expired", EXPIRED, now=NOW), status=status)
    assert not item.is_due(NOW + timedelta(days=1))


@pytest.mark.parametrize(
    "event_type", ["order.paid", "order.unheard_of"], ids=["another-types-model", "unknown-type"]
)
def test_an_announcement_with_the_wrong_model_fails_in_the_request_that_made_it(event_type: str):
    with pytest.raises(TypeError, match="OrderEnded"):
        announcement(event_type, EXPIRED, now=NOW)


def test_a_subclass_of_the_model_is_not_the_model():
    class Richer(OrderPaid):
        note: str

    richer = Richer(
        order_id="ord_1",
        order_number="A-1",
        event_id="evt_1",
        buyer_id="usr_1",
        total=500,
        currency="USD",
        ticket_ids=[],
        note="extra",
    )
    with pytest.raises(TypeError, match="Richer"):
        announcement("order.paid", richer, now=NOW)
