"""outbox_drain (issue 8): outbox items reach the bus from the table's stream and the
sweep, once each, in any order; failures back off and dead-letter after 5 attempts; a
crash between publishing and marking publishes again with the same event id."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from admitone.adapters import bus
from admitone.adapters.dynamo import keys, outbox, table
from admitone.adapters.dynamo.outbox import DynamoOutbox
from admitone.services import outbox_drain, reconcile
from admitone.services.outbox_drain import Published
from admitone.services.wiring import ports
from scripts.devstack.patterns import matches
from scripts.devstack.pollers import lambda_stream_record
from scripts.devstack.template import REGION
from tests.integration.conftest import AwsStack
from tests.integration.payments_kit import outbox_of
from tests.integration.shop import Shop, open_shop

DRAIN = "OutboxDrainFunction"


class BusTap:
    """A rule on the bus that copies every admitone event into a queue we can read."""

    def __init__(self, aws: AwsStack) -> None:
        self.sqs, events = aws.client("sqs"), aws.client("events")
        bus_name = aws.stack.function(DRAIN).environment["EVENT_BUS_NAME"]
        self.url = self.sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        events.put_rule(
            Name="tap", EventBusName=bus_name, EventPattern=json.dumps({"source": ["admitone"]})
        )
        events.put_targets(
            Rule="tap",
            EventBusName=bus_name,
            Targets=[{"Id": "tap", "Arn": arn["Attributes"]["QueueArn"]}],
        )

    def events(self) -> list[dict[str, Any]]:
        seen = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            seen += [json.loads(m["Body"]) for m in batch]
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
        return seen


@pytest.fixture
def tap(aws: AwsStack) -> BusTap:
    return BusTap(aws)


def stream_records(aws: AwsStack) -> list[dict[str, Any]]:
    """The table stream's records that pass OutboxDrainFunction's filter, in the shape
    Lambda delivers. (In-process moto keeps the stream but does not serve the streams
    API; the local stack's poller reads the same records through it.)"""
    source = next(s for s in aws.stack.stream_sources() if s.function_id == DRAIN)
    table_name = aws.stack.function(DRAIN).environment["TABLE_NAME"]
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name).stream_shard
    assert shard is not None
    records = [
        lambda_stream_record(json.loads(json.dumps(item.record, default=str)), source.stream_arn)
        for item in shard.items
    ]
    return [r for r in records if any(matches(p, r) for p in source.filter_patterns)]


def invoke_drain(aws: AwsStack, records: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = aws.invoke(DRAIN, {"Records": records})
    return result


def paid_order(aws: AwsStack, api: Any) -> tuple[Shop, str]:
    from tests.integration.gate_kit import buy  # noqa: PLC0415

    shop = open_shop(api, aws)
    return shop, buy(shop, 2).order_id


def test_a_purchase_reaches_the_bus_once_per_item_whatever_the_stream_repeats(
    aws: AwsStack, api: Any, tap: BusTap
):
    _, order_id = paid_order(aws, api)
    records = [r for r in stream_records(aws) if _order_of(r) == order_id]
    assert sorted(_type_of(r) for r in records) == ["order.paid", "ticket.issued", "ticket.issued"]

    deliveries = records * 3
    random.Random(7).shuffle(deliveries)
    for start in range(0, len(deliveries), 4):
        assert invoke_drain(aws, deliveries[start : start + 4]) == {"batchItemFailures": []}

    published = [e for e in tap.events() if e["detail"]["data"].get("order_id") == order_id]
    assert Counter(e["detail-type"] for e in published) == {"order.paid": 1, "ticket.issued": 2}
    assert len({e["detail"]["event_id"] for e in published}) == 3
    assert all(e["source"] == "admitone" and e["detail"]["schema_version"] == 1 for e in published)
    assert outbox_of(order_id) == []  # no longer pending


def test_a_failing_bus_backs_off_then_publishes(aws: AwsStack, tap: BusTap, monkeypatch):
    item_id = _pending_item(aws)
    failures = iter([bus.BusRejected("ThrottlingException: slow down")] * 2)
    real_publish = bus.publish

    def flaky(event_type: str, detail: Any) -> None:
        for failure in failures:
            raise failure
        real_publish(event_type, detail)

    monkeypatch.setattr(bus, "publish", flaky)
    outcome = outbox_drain.publish(ports(), item_id, time_left=lambda: timedelta(seconds=30))
    assert outcome is Published.PUBLISHED
    stored = table.get(keys.outbox(item_id))
    assert stored is not None
    assert (stored["status"], stored["attempts"]) == ("published", 2)
    assert [e["detail"]["event_id"] for e in tap.events()] == [item_id]


def test_a_failure_without_time_left_is_postponed_to_the_sweep(
    aws: AwsStack, tap: BusTap, monkeypatch
):
    item_id = _pending_item(aws)
    real_publish = bus.publish
    monkeypatch.setattr(bus, "publish", _refuse)
    assert outbox_drain.publish(ports(), item_id) is Published.POSTPONED
    stored = ports().store.outbox.get(item_id)
    assert stored is not None
    assert stored.attempts == 1
    assert stored.next_attempt_at is not None
    # Not due yet: the sweep leaves it (judged just before the retry is due, not at the
    # wall clock: the first retry is due within about a second, which a loaded machine's
    # sweep over every shard of the list can outlast).
    monkeypatch.setattr(bus, "publish", real_publish)
    before_due = stored.next_attempt_at - timedelta(milliseconds=1)
    assert outbox_drain.sweep(ports(), clock=lambda: before_due) == Counter()
    later = stored.next_attempt_at + timedelta(seconds=1)
    assert outbox_drain.sweep(ports(), clock=lambda: later) == {Published.PUBLISHED: 1}
    assert len(tap.events()) == 1


def test_the_fifth_failure_dead_letters_and_nothing_revives_it(
    aws: AwsStack, tap: BusTap, monkeypatch
):
    item_id = _pending_item(aws)
    real_publish = bus.publish
    monkeypatch.setattr(bus, "publish", _refuse)
    start = datetime.now(UTC)
    outcomes = [
        outbox_drain.publish(ports(), item_id, clock=lambda at=start + timedelta(minutes=2 * n): at)
        for n in range(5)
    ]
    moment = start + timedelta(minutes=10)
    assert outcomes == [Published.POSTPONED] * 4 + [Published.DEAD]
    stored = table.get(keys.outbox(item_id))
    assert stored is not None
    assert (stored["status"], stored["attempts"], stored["GSI3PK"]) == ("dead", 5, "OUTBOX#dead")
    monkeypatch.setattr(bus, "publish", real_publish)
    assert outbox_drain.sweep(ports(), clock=lambda: moment + timedelta(hours=1)) == Counter()
    assert outbox_drain.publish(ports(), item_id) is Published.SKIPPED
    assert tap.events() == []


def test_a_crash_before_publishing_publishes_once_after_the_lease(
    aws: AwsStack, tap: BusTap, monkeypatch
):
    item_id = _pending_item(aws)
    real_publish = bus.publish

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("the Lambda died before publishing")

    monkeypatch.setattr(bus, "publish", crash)
    with pytest.raises(RuntimeError):
        outbox_drain.publish(ports(), item_id)
    monkeypatch.setattr(bus, "publish", real_publish)
    assert outbox_drain.publish(ports(), item_id) is Published.SKIPPED  # leased
    after_lease = datetime.now(UTC) + outbox_drain.LEASE + timedelta(seconds=1)
    assert outbox_drain.sweep(ports(), clock=lambda: after_lease) == {Published.PUBLISHED: 1}
    assert [e["detail"]["event_id"] for e in tap.events()] == [item_id]
    stored = ports().store.outbox.get(item_id)
    assert stored is not None
    assert (stored.status, stored.attempts) == ("published", 0)


def test_a_crash_between_publish_and_mark_publishes_again_with_the_same_event_id(
    aws: AwsStack, tap: BusTap, monkeypatch
):
    item_id = _pending_item(aws)

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("the Lambda died here")

    real_mark = DynamoOutbox.mark_published
    monkeypatch.setattr(DynamoOutbox, "mark_published", crash)
    with pytest.raises(RuntimeError):
        outbox_drain.publish(ports(), item_id)
    monkeypatch.setattr(DynamoOutbox, "mark_published", real_mark)
    # The lease keeps a second publisher off until it runs out.
    assert outbox_drain.publish(ports(), item_id) is Published.SKIPPED
    after_lease = datetime.now(UTC) + outbox_drain.LEASE + timedelta(seconds=1)
    assert outbox_drain.sweep(ports(), clock=lambda: after_lease) == {Published.PUBLISHED: 1}
    assert [e["detail"]["event_id"] for e in tap.events()] == [item_id, item_id]


def test_reconcile_redrives_items_stuck_for_ten_minutes_keeping_their_attempts(
    aws: AwsStack, tap: BusTap, monkeypatch
):
    item_id = _pending_item(aws)
    real_publish = bus.publish
    monkeypatch.setattr(bus, "publish", _refuse)
    outbox_drain.publish(ports(), item_id)
    monkeypatch.setattr(bus, "publish", real_publish)
    report = reconcile.reconcile(ports(), now=datetime.now(UTC) + timedelta(minutes=11))
    assert report["stuck_outbox_redriven"] == 1
    stored = table.get(keys.outbox(item_id))
    assert stored is not None
    assert (stored["status"], stored["attempts"]) == ("published", 1)
    assert len(tap.events()) == 1


def test_the_sample_events_run(aws: AwsStack):
    # The stream sample names an item that is not in the table: nothing to publish.
    assert aws.invoke_sample("OutboxDrainFunction", "new_item") == {"batchItemFailures": []}
    _pending_item(aws)
    swept = aws.invoke_sample("OutboxDrainFunction", "every_minute")
    assert swept == {"swept": {"published": 1}}


# ------------------------------------------------------------------ helpers
def _refuse(event_type: str, detail: Any) -> None:
    raise bus.BusRejected("InternalFailure: the bus is down")


def _pending_item(aws: AwsStack) -> str:
    aws.use_function(DRAIN)
    operation = outbox.outbox_op(
        "order.expired",
        {"order_id": "ord_x", "event_id": "evt_x", "reason": "hold_expired"},
        now=datetime.now(UTC),
    )
    table.transact([operation])
    return str(operation["Put"]["Item"]["outbox_id"]["S"])


def _image(record: dict[str, Any]) -> dict[str, Any]:
    return record["dynamodb"]["NewImage"]


def _type_of(record: dict[str, Any]) -> str:
    return str(_image(record)["event_type"]["S"])


def _order_of(record: dict[str, Any]) -> str | None:
    data = _image(record)["detail"]["M"]["data"]["M"]
    return data.get("order_id", {}).get("S")
