"""Event sources, as Lambda runs them: SQS queues (batches, partial batch responses,
redrive by the queue), DynamoDB streams (filters, batches, retries from the failed
record) and schedules (rate/cron), each in its own thread.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scripts.devstack.patterns import matches
from scripts.devstack.runtime import InvokeResult, Runtime
from scripts.devstack.schedules import Schedule
from scripts.devstack.template import (
    ACCOUNT_ID,
    REGION,
    ScheduleSource,
    SqsSource,
    Stack,
    StreamSource,
)

Notify = Callable[[str, str], None]


def _failed_ids(result: InvokeResult, report_failures: bool, all_ids: list[str]) -> set[str]:
    """Which records of a batch go back to the source, as Lambda decides it."""
    if not result.ok:
        return set(all_ids)
    if not report_failures:
        return set()
    payload = result.payload
    if payload is None or (isinstance(payload, dict) and not payload.get("batchItemFailures")):
        return set()
    try:
        failed = {str(item["itemIdentifier"]) for item in payload["batchItemFailures"]}
    except (TypeError, KeyError):
        return set(all_ids)  # a malformed response fails the whole batch
    return failed if failed <= set(all_ids) and "" not in failed else set(all_ids)


def sqs_event(source: SqsSource, messages: list[dict[str, Any]]) -> dict[str, Any]:
    records = []
    for message in messages:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": attributes,
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": source.queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


SQS_IDLE_WAIT_SECONDS = 0.2


class SqsPoller(threading.Thread):
    def __init__(
        self, source: SqsSource, runtime: Runtime, sqs: Any, stop: threading.Event, notify: Notify
    ) -> None:
        super().__init__(name=f"sqs:{source.function_id}", daemon=True)
        self.source, self.runtime, self.sqs, self.stop, self.notify = (
            source,
            runtime,
            sqs,
            stop,
            notify,
        )

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                # Short polls: the moto server serializes requests, and a long poll would
                # hold every other AWS call of the stack for its whole wait.
                if not self.poll_once(wait_seconds=0):
                    self.stop.wait(SQS_IDLE_WAIT_SECONDS)
            except Exception as exc:
                self.notify(self.source.function_id, f"sqs poll failed: {exc!r}")
                self.stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        result = self.runtime.invoke(self.source.function_id, sqs_event(self.source, messages))
        failed = _failed_ids(
            result, self.source.report_batch_item_failures, [m["MessageId"] for m in messages]
        )
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        # Failed messages stay in flight until their visibility timeout ends; the
        # queue's redrive policy moves them to the DLQ after maxReceiveCount.
        return len(messages)


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda delivers (epoch seconds, source ARN)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


class StreamPoller(threading.Thread):
    def __init__(
        self,
        source: StreamSource,
        runtime: Runtime,
        streams: Any,
        stop: threading.Event,
        notify: Notify,
    ) -> None:
        super().__init__(name=f"stream:{source.function_id}", daemon=True)
        self.source, self.runtime, self.streams, self.stop, self.notify = (
            source,
            runtime,
            streams,
            stop,
            notify,
        )
        self.iterators: dict[str, str] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.attempts: dict[str, int] = {}

    def start_iterators(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.source.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            self.iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                StreamArn=self.source.stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=self.source.starting_position,
            )["ShardIterator"]
            self.pending[shard["ShardId"]] = []

    def run(self) -> None:
        try:
            self.start_iterators()
        except Exception as exc:
            self.notify(self.source.function_id, f"stream setup failed: {exc!r}")
            return
        while not self.stop.is_set():
            try:
                if not self.poll_once():
                    self.stop.wait(0.25)
            except Exception as exc:
                self.notify(self.source.function_id, f"stream poll failed: {exc!r}")
                self.stop.wait(1)

    def poll_once(self) -> int:
        handled = 0
        for shard_id in list(self.iterators):
            pending = self.pending[shard_id]
            if not pending:
                response = self.streams.get_records(
                    ShardIterator=self.iterators[shard_id], Limit=1000
                )
                self.iterators[shard_id] = response["NextShardIterator"]
                for raw in response["Records"]:
                    record = lambda_stream_record(raw, self.source.stream_arn)
                    # Records the filters reject are dropped, as Lambda does.
                    if not self.source.filter_patterns or any(
                        matches(p, record) for p in self.source.filter_patterns
                    ):
                        pending.append(record)
            if pending:
                handled += self._deliver(shard_id, pending)
        return handled

    def _deliver(self, shard_id: str, pending: list[dict[str, Any]]) -> int:
        batch = pending[: self.source.batch_size]
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        result = self.runtime.invoke(self.source.function_id, {"Records": batch})
        failed = _failed_ids(result, self.source.report_batch_item_failures, sequence)
        if not failed:
            del pending[: len(batch)]
            self.attempts.pop(shard_id, None)
            return len(batch)
        # Checkpoint up to the first failed record; retry from it.
        first_failed = min(sequence.index(s) for s in failed)
        del pending[:first_failed]
        attempts = self.attempts.get(shard_id, 0) + 1
        limit = self.source.maximum_retry_attempts
        if limit >= 0 and attempts > limit:
            dropped = pending.pop(0)
            self.notify(
                self.source.function_id,
                f"record {dropped['dynamodb']['SequenceNumber']} discarded after {limit} retries",
            )
            attempts = 0
        self.attempts[shard_id] = attempts
        self.stop.wait(min(0.25 * 2**attempts, 5))
        return first_failed


def scheduled_event(stack: Stack, source: ScheduleSource, moment: datetime) -> Any:
    if source.input is not None:
        return source.input
    rule = f"{stack.name}-{source.function_id}{source.name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class ScheduleClock(threading.Thread):
    """Fires every enabled schedule on its cadence, each in its own thread."""

    def __init__(
        self, stack: Stack, runtime: Runtime, stop: threading.Event, notify: Notify
    ) -> None:
        super().__init__(name="schedules", daemon=True)
        self.stack, self.runtime, self.stop, self.notify = stack, runtime, stop, notify

    def run(self) -> None:
        sources = [s for s in self.stack.schedule_sources() if s.enabled]
        due = {id(s): Schedule(s.expression).next_after(datetime.now(UTC)) for s in sources}
        while not self.stop.is_set():
            now = datetime.now(UTC)
            for source in sources:
                if due[id(source)] <= now:
                    due[id(source)] = Schedule(source.expression).next_after(now)
                    event = scheduled_event(self.stack, source, now)
                    threading.Thread(target=self._fire, args=(source, event), daemon=True).start()
            self.stop.wait(1)

    def _fire(self, source: ScheduleSource, event: Any) -> None:
        result = self.runtime.invoke(source.function_id, event)
        if not result.ok:
            self.notify(source.function_id, f"scheduled run failed: {json.dumps(result.error)}")
