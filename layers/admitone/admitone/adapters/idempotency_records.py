"""Idempotency records in the single table, behind Powertools' persistence layer, with the
request's rate counters counted in the record's own write.

Powertools writes the "in progress" record with one conditional PutItem. Here that PutItem
becomes one ``TransactWriteItems`` with the counters the request is charged (its rate
limits, ``counting_with_the_record``): the record is created and every hit counted, or
nothing is. So a request that runs costs one round trip for its record and its counters,
not one each; a replay or a duplicate in progress (the record's condition fails) counts
no hit, as before; a full counter refuses the request (``CounterFull``) before any record
exists. Every other read, write and condition is Powertools' own (``aws-lambda-powertools``
is pinned; tests/integration/test_idempotency.py checks the record's shape).

Keys: ``PK = IDEMPOTENCY#<digest>``, ``SK = IDEMPOTENCY``, one partition per record
(Powertools' own composite layout would put every record of a function under one
partition key, the hottest key of an on-sale).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import rate_counters
from admitone.config import settings
from admitone.domain.rate_limits import Charge

RECORD_SORT_KEY = "IDEMPOTENCY"
# A transaction that met another on a counter item (two requests of one client at once)
# is cancelled without any condition failing: it is sent again, after a short pause.
CONFLICT_ATTEMPTS = 3
_CONFLICT_PAUSE_SECONDS = (0.01, 0.05)
_CONDITION_FAILED = "ConditionalCheckFailed"


class CounterFull(Exception):
    """A counter charged with the record was full: no record, no hit counted."""

    def __init__(self, charge: Charge) -> None:
        super().__init__(f"{charge.limit.family} rate limit used up")
        self.charge = charge


@dataclass
class Counting:
    """The hits one request counts with its record; ``counted`` once they are."""

    charges: Sequence[Charge]
    now: datetime
    counted: bool = False


_counting: ContextVar[Counting | None] = ContextVar("counting_with_the_record", default=None)


@contextmanager
def counting_with_the_record(charges: Sequence[Charge], *, now: datetime) -> Iterator[Counting]:
    """While inside, the record this request's persistence layer creates counts ``charges``
    in the same transaction (per thread and context: a container's threads never mix)."""
    counting = Counting(tuple(charges), now)
    token = _counting.set(counting)
    try:
        yield counting
    finally:
        _counting.reset(token)


class RecordWithCounters:
    """The DynamoDB client as the persistence layer sees it: ``put_item`` of a record is
    sent as one transaction with the current request's counters; everything else is the
    client's own."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamodb, name)

    def put_item(self, **put: Any) -> Any:
        counting = _counting.get()
        if counting is None or not counting.charges:
            return self._dynamodb.put_item(**put)
        put = {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        updates = [
            {"Update": rate_counters.hit_update(c.limit, c.client_key, now=counting.now)}
            for c in counting.charges
        ]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                answer = self._dynamodb.transact_write_items(TransactItems=[{"Put": put}, *updates])
            except ClientError as error:
                reasons = error.response.get("CancellationReasons") or []
                if not any(r.get("Code") == _CONDITION_FAILED for r in reasons):
                    if attempt + 1 < CONFLICT_ATTEMPTS and _cancelled(error):
                        time.sleep(random.uniform(*_CONFLICT_PAUSE_SECONDS))  # noqa: S311
                        continue
                    raise
                _refusal(error, reasons, counting.charges)
            else:
                counting.counted = True
                return cast("Any", answer)
        raise AssertionError("unreachable")  # pragma: no cover


def _cancelled(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "TransactionCanceledException")


def _refusal(error: ClientError, reasons: Sequence[Any], charges: Sequence[Charge]) -> None:
    """Raise what a refused transaction means: the record exists (as Powertools' own
    PutItem would say it, with the item as it was), else the first full counter."""
    record = reasons[0] if reasons else {}
    if record.get("Code") == _CONDITION_FAILED:
        answer: dict[str, Any] = {
            "Error": {"Code": "ConditionalCheckFailedException", "Message": "record exists"}
        }
        if "Item" in record:
            answer["Item"] = record["Item"]
        raise ClientError(answer, "PutItem") from error
    for charge, reason in zip(charges, reasons[1:], strict=False):
        if reason.get("Code") == _CONDITION_FAILED:
            raise CounterFull(charge) from error
    raise error  # pragma: no cover  (a condition failed, so one of the two did)


class RecordPerPartition(DynamoDBPersistenceLayer):
    """Powertools' layer with ``PK = <prefix>#<digest>, SK = IDEMPOTENCY``, whose record is
    written with the request's counters (``counting_with_the_record``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.client = RecordWithCounters(self.client)

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        return {"PK": {"S": idempotency_key}, "SK": {"S": RECORD_SORT_KEY}}


def persistence_layer() -> DynamoDBPersistenceLayer:
    """A new persistence layer (one per decorated use: a shared one keeps the first
    configuration it sees and can skip idempotency)."""
    return RecordPerPartition(
        table_name=settings().table_name,
        key_attr="PK",
        sort_key_attr="SK",
        expiry_attr="expires_at",
        in_progress_expiry_attr="in_progress_expires_at_ms",
        status_attr="status",
        data_attr="response",
        validation_key_attr="request_hash",
        boto3_client=client("dynamodb"),
    )
