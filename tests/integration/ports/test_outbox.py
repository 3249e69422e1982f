"""The outbox port: announcing in a unit of work, leasing, publishing, backing off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.events import OrderEnded
from admitone.domain.outbox import DEAD, PENDING, PUBLISHED
from admitone.ports.store import Store

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


def _ended(order_id: str = "ord_1") -> OrderEnded:
    return OrderEnded(order_id=order_id, event_id="evt_1", reason="hold_expired")


def _announce(store: Store, *, now: datetime = NOW, order_id: str = "ord_1") -> str:
    uow = store.unit_of_work()
    item_id = uow.outbox.announce("order.expired", _ended(order_id), now=now)
    uow.commit()
    return item_id


def test_an_announcement_lands_only_with_its_commit(store: Store):
    uow = store.unit_of_work()
    item_id = uow.outbox.announce("order.expired", _ended(), now=NOW)
    assert store.outbox.get(item_id) is None
    uow.commit()
    item = store.outbox.get(item_id)
    assert item is not None
    assert (item.status, item.attempts, item.event_type) == (PENDING, 0, "order.expired")
    assert item.detail["event_id"] == item_id
    assert item.detail["occurred_at"] == "2026-12-02T20:00:00Z"
    assert item.detail["data"] == {
        "order_id": "ord_1",
        "event_id": "evt_1",
        "reason": "hold_expired",
    }


def test_an_event_announced_with_another_types_model_is_refused(store: Store):
    uow = store.unit_of_work()
    with pytest.raises(TypeError):
        uow.outbox.announce("order.paid", _ended(), now=NOW)
    with pytest.raises(TypeError):
        uow.outbox.announce("no.such.event", _ended(), now=NOW)


def test_a_unit_of_work_commits_once(store: Store):
    uow = store.unit_of_work()
    uow.outbox.announce("order.expired", _ended(), now=NOW)
    uow.commit()
    with pytest.raises(RuntimeError):
        uow.commit()
    with pytest.raises(RuntimeError):
        uow.outbox.announce("order.expired", _ended(), now=NOW)


def test_a_lease_keeps_other_publishers_off_until_it_runs_out(store: Store):
    item_id = _announce(store)
    leased = store.outbox.lease(item_id, now=NOW, until=NOW + timedelta(seconds=30))
    assert leased is not None
    assert leased.id == item_id
    assert store.outbox.lease(item_id, now=NOW + timedelta(seconds=29), until=NOW) is None
    later = NOW + timedelta(seconds=30)
    assert store.outbox.lease(item_id, now=later, until=later + timedelta(seconds=30))
    assert store.outbox.lease("obx_missing", now=NOW, until=NOW) is None


def test_a_published_item_leaves_the_work_list_once(store: Store):
    item_id = _announce(store)
    assert store.outbox.mark_published(item_id, now=NOW) is True
    assert store.outbox.mark_published(item_id, now=NOW) is False
    published = store.outbox.get(item_id)
    assert published is not None
    assert published.status == PUBLISHED
    assert store.outbox.pending(limit=10) == []
    assert store.outbox.lease(item_id, now=NOW, until=NOW + timedelta(seconds=30)) is None


def test_a_failure_postpones_the_item_and_ends_the_lease(store: Store):
    item_id = _announce(store)
    store.outbox.lease(item_id, now=NOW, until=NOW + timedelta(seconds=30))
    retry_at = NOW + timedelta(seconds=2)
    store.outbox.record_failure(item_id, error="BusRejected: down", retry_at=retry_at)
    item = store.outbox.get(item_id)
    assert item is not None
    assert (item.attempts, item.next_attempt_at, item.status) == (1, retry_at, PENDING)
    assert not item.is_due(NOW)
    assert store.outbox.lease(item_id, now=NOW + timedelta(seconds=1), until=retry_at) is None
    assert store.outbox.lease(item_id, now=retry_at, until=retry_at + timedelta(seconds=30))


def test_a_dead_letter_is_never_leased_or_swept_again(store: Store):
    item_id = _announce(store)
    store.outbox.dead_letter(item_id, error="BusRejected: down", now=NOW)
    item = store.outbox.get(item_id)
    assert item is not None
    assert (item.status, item.attempts) == (DEAD, 1)
    assert store.outbox.pending(limit=10) == []
    assert store.outbox.lease(item_id, now=NOW, until=NOW + timedelta(seconds=30)) is None
    assert store.outbox.mark_published(item_id, now=NOW) is False


def test_the_work_list_is_oldest_first_limited_and_filtered_by_age(store: Store):
    newest = _announce(store, now=NOW, order_id="ord_new")
    oldest = _announce(store, now=NOW - timedelta(minutes=20), order_id="ord_old")
    middle = _announce(store, now=NOW - timedelta(minutes=5), order_id="ord_mid")
    assert [i.id for i in store.outbox.pending(limit=10)] == [oldest, middle, newest]
    assert [i.id for i in store.outbox.pending(limit=2)] == [oldest, middle]
    before = NOW - timedelta(minutes=10)
    assert [i.id for i in store.outbox.pending(limit=10, occurred_before=before)] == [oldest]
