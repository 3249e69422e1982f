"""The Stripe inbox port: storing an event once, its pending list, marking it queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.stripe_events import RETENTION_SECONDS, ReceivedEvent
from admitone.ports.store import Store

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)


def _handled(event_id: str) -> ReceivedEvent:
    return ReceivedEvent(event_id, "payment_intent.succeeded", group_id="pi_1")


def test_an_event_is_stored_once_and_a_redelivery_gets_the_stored_copy(store: Store):
    first = store.stripe_inbox.record(_handled("evt_once"), '{"v": 1}', now=NOW)
    again = store.stripe_inbox.record(_handled("evt_once"), '{"v": 2}', now=NOW)
    assert first.first_delivery
    assert not again.first_delivery
    assert again.item == first.item
    assert (again.item.payload, again.item.group_id, again.item.enqueued) == (
        '{"v": 1}',
        "pi_1",
        False,
    )
    assert store.stripe_inbox.known("evt_once", now=NOW)
    assert not store.stripe_inbox.known("evt_other", now=NOW)


def test_an_event_past_its_thirty_days_counts_as_gone(store: Store):
    store.stripe_inbox.record(_handled("evt_old"), "{}", now=NOW)
    past = NOW + timedelta(seconds=RETENTION_SECONDS + 1)
    assert not store.stripe_inbox.known("evt_old", now=past)
    assert store.stripe_inbox.record(_handled("evt_old"), "{}", now=past).first_delivery


def test_a_handled_event_waits_on_the_pending_list_until_marked_enqueued(store: Store):
    for offset, event_id in enumerate(["evt_a", "evt_b", "evt_c"]):
        store.stripe_inbox.record(
            _handled(event_id), f'"{event_id}"', now=NOW + timedelta(seconds=offset)
        )
    ignored = ReceivedEvent("evt_ignored", "customer.created", group_id=None)
    assert not store.stripe_inbox.record(ignored, "{}", now=NOW).item.handled

    pending = store.stripe_inbox.pending_since(LATER, limit=10)
    assert [i.event_id for i in pending] == ["evt_a", "evt_b", "evt_c"]
    assert [i.payload for i in pending] == ['"evt_a"', '"evt_b"', '"evt_c"']
    assert [i.event_id for i in store.stripe_inbox.pending_since(LATER, limit=2)] == [
        "evt_a",
        "evt_b",
    ]
    assert [
        i.event_id for i in store.stripe_inbox.pending_since(NOW + timedelta(seconds=1), limit=10)
    ] == ["evt_a"]

    store.stripe_inbox.mark_enqueued("evt_a", now=LATER)
    assert [i.event_id for i in store.stripe_inbox.pending_since(LATER, limit=10)] == [
        "evt_b",
        "evt_c",
    ]
    redelivered = store.stripe_inbox.record(_handled("evt_a"), "{}", now=LATER)
    assert redelivered.item.enqueued
    assert not redelivered.first_delivery


@pytest.mark.parametrize("store", ["dynamo"], indirect=True)
def test_an_item_of_the_older_shape_is_still_found_and_leaves_the_list(store: Store, aws):
    """Before the pending marker the inbox item itself was on the list (GSI3)."""
    table = aws.stack.physical_name("Table")
    aws.client("dynamodb").put_item(
        TableName=table,
        Item={
            "PK": {"S": "STRIPE_EVENT#evt_legacy"},
            "SK": {"S": "STRIPE_EVENT"},
            "entity": {"S": "stripe_event"},
            "event_id": {"S": "evt_legacy"},
            "event_type": {"S": "payment_intent.succeeded"},
            "handled": {"BOOL": True},
            "payload": {"S": '"legacy"'},
            "received_at": {"N": str(int(NOW.timestamp()))},
            "expires_at": {"N": str(int(NOW.timestamp()) + RETENTION_SECONDS)},
            "group_id": {"S": "pi_legacy"},
            "enqueued": {"BOOL": False},
            "GSI3PK": {"S": "STRIPE_INBOX#pending#05"},  # a shard of the 32 then
            "GSI3SK": {"S": "2026-12-06T04:00:00Z#evt_legacy"},
        },
    )
    store.stripe_inbox.record(_handled("evt_new"), '"new"', now=NOW + timedelta(seconds=1))
    pending = store.stripe_inbox.pending_since(LATER, limit=10)
    assert [(i.event_id, i.payload, i.group_id) for i in pending] == [
        ("evt_legacy", '"legacy"', "pi_legacy"),
        ("evt_new", '"new"', "pi_1"),
    ]
    store.stripe_inbox.mark_enqueued("evt_legacy", now=LATER)
    assert [i.event_id for i in store.stripe_inbox.pending_since(LATER, limit=10)] == ["evt_new"]
