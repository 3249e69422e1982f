"""The idempotency record written with the request's counters: what a cancelled
transaction means, and a conflict sent again (a stub client: no sockets)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from admitone.adapters import idempotency_records
from admitone.adapters.idempotency_records import CounterFull, counting_with_the_record
from admitone.domain.rate_limits import Charge, ClientKeyKind, Family, Limit

NOW = datetime(2026, 11, 23, 18, 6, 20, tzinfo=UTC)
PAYMENT = Charge(Limit(Family.PAYMENT, 5, 60, ClientKeyKind.IP), "203.0.113.1")
GENERAL = Charge(Limit(Family.GENERAL, 60, 60, ClientKeyKind.IP), "203.0.113.1")
RECORD = {"TableName": "t", "Item": {"PK": {"S": "IDEMPOTENCY#x"}}, "ConditionExpression": "c"}


def cancelled(*codes: str, item: dict[str, Any] | None = None) -> ClientError:
    reasons: list[dict[str, Any]] = [{"Code": code} for code in codes]
    if item is not None:
        reasons[0]["Item"] = item
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": reasons,  # type: ignore[typeddict-unknown-key]
        },
        "TransactWriteItems",
    )


class Stub:
    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.sent: list[list[dict[str, Any]]] = []
        self.put: list[dict[str, Any]] = []

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.sent.append(TransactItems)
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return {}

    def put_item(self, **put: Any) -> dict[str, Any]:
        self.put.append(put)
        return {}


@pytest.fixture(autouse=True)
def table_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        idempotency_records.rate_counters, "settings", lambda: type("S", (), {"table_name": "t"})
    )
    monkeypatch.setattr(idempotency_records.time, "sleep", lambda _: None)


def test_without_counters_the_record_is_powertools_own_put():
    stub = Stub()
    idempotency_records.RecordWithCounters(stub).put_item(**RECORD)
    assert (stub.put, stub.sent) == ([RECORD], [])


def test_the_record_and_each_counter_go_in_one_transaction():
    stub = Stub(None)
    with counting_with_the_record([GENERAL, PAYMENT], now=NOW) as counting:
        idempotency_records.RecordWithCounters(stub).put_item(**RECORD)

    (items,) = stub.sent
    assert [next(iter(i)) for i in items] == ["Put", "Update", "Update"]
    assert items[0]["Put"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert counting.counted


def test_an_existing_record_reads_as_powertools_conditional_put_failure_with_the_item():
    old = {"PK": {"S": "IDEMPOTENCY#x"}, "status": {"S": "COMPLETED"}}
    stub = Stub(cancelled("ConditionalCheckFailed", "None", item=old))
    with (
        counting_with_the_record([PAYMENT], now=NOW) as counting,
        pytest.raises(ClientError) as failed,
    ):
        idempotency_records.RecordWithCounters(stub).put_item(**RECORD)

    assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert failed.value.response["Item"] == old  # type: ignore[typeddict-item]
    assert not counting.counted


def test_a_full_counter_names_its_charge():
    stub = Stub(cancelled("None", "None", "ConditionalCheckFailed"))
    with counting_with_the_record([GENERAL, PAYMENT], now=NOW), pytest.raises(CounterFull) as full:
        idempotency_records.RecordWithCounters(stub).put_item(**RECORD)
    assert full.value.charge == PAYMENT


def test_a_conflict_is_sent_again_and_counted_once():
    stub = Stub(cancelled("None", "TransactionConflict"), None)
    with counting_with_the_record([PAYMENT], now=NOW) as counting:
        idempotency_records.RecordWithCounters(stub).put_item(**RECORD)
    assert len(stub.sent) == 2
    assert counting.counted


def test_conflicts_every_time_fail_as_the_store_failing():
    conflicts = [cancelled("None", "TransactionConflict")] * idempotency_records.CONFLICT_ATTEMPTS
    stub = Stub(*conflicts)
    with counting_with_the_record([PAYMENT], now=NOW), pytest.raises(ClientError):
        idempotency_records.RecordWithCounters(stub).put_item(**RECORD)
    assert len(stub.sent) == idempotency_records.CONFLICT_ATTEMPTS
