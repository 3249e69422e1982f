"""Typed access to the single table: (de)serialization, reads, and transactions whose
cancellation reasons come back as data the repositories turn into domain outcomes.

Repositories build on these few functions; none of them talks to boto3 directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.config import settings

Item = dict[str, Any]
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_PROBE_KEY = {"PK": "HEALTH#probe", "SK": "HEALTH#probe"}


class TransactionCancelled(Exception):
    """A transaction failed a condition; ``reasons[i]`` is the code for its i-th item
    (``"None"`` for items that were fine, ``"ConditionalCheckFailed"``, ...)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(f"transaction cancelled: {list(reasons)}")
        self.reasons = list(reasons)

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"


class ConditionFailed(Exception):
    """A single conditional write found the item in another state."""


def instant(moment: datetime) -> str:
    """A moment as the table stores it: UTC ISO 8601 with microseconds and a Z, always
    the same width, so that comparing the strings compares the moments."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values; ``None`` values are left out (absent, not NULL)."""
    return {key: to_attribute(value) for key, value in item.items() if value is not None}


def to_attribute(value: Any) -> dict[str, Any]:
    """One DynamoDB attribute value (a ``None`` nested in it is NULL)."""
    serialized: dict[str, Any] = _serializer.serialize(value)
    return serialized


def _plain(value: Any) -> Any:
    # Numbers come back as Decimal; the table only ever stores integers (cents,
    # counts, epoch seconds), so anything else is a bug worth failing on.
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise TypeError(f"non-integer number in the table: {value}")
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def from_attributes(attributes: Mapping[str, Any]) -> Item:
    return {key: from_attribute(value) for key, value in attributes.items()}


def from_attribute(value: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as plain Python (numbers whole, as ``int``)."""
    return _plain(_deserializer.deserialize(value))


def _table() -> str:
    return settings().table_name


def get(key: Mapping[str, str], *, consistent: bool = False) -> Item | None:
    response = client("dynamodb").get_item(
        TableName=_table(), Key=to_attributes(key), ConsistentRead=consistent
    )
    return from_attributes(response["Item"]) if "Item" in response else None


_BATCH_GET_LIMIT = 100  # keys per BatchGetItem request, DynamoDB's ceiling


def get_many(keys: Sequence[Mapping[str, str]]) -> list[Item]:
    """The items at ``keys`` that exist (strongly consistent), in no particular order:
    a hundred keys a request, until DynamoDB has returned every unprocessed one."""
    table_name = _table()
    pending = [to_attributes(key) for key in keys]
    found: list[Item] = []
    while pending:
        batch, pending = pending[:_BATCH_GET_LIMIT], pending[_BATCH_GET_LIMIT:]
        request: dict[str, Any] = {table_name: {"Keys": batch, "ConsistentRead": True}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            found += map(from_attributes, response.get("Responses", {}).get(table_name, []))
            request = response.get("UnprocessedKeys") or {}
    return found


def update(
    key: Mapping[str, str],
    expression: str,
    *,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
    condition: str | None = None,
) -> Item:
    """Apply an update expression; returns the item as it is afterwards.

    Raises ``ConditionFailed`` when ``condition`` does not hold.
    """
    request: dict[str, Any] = {
        "TableName": _table(),
        "Key": to_attributes(key),
        "UpdateExpression": expression,
        "ReturnValues": "ALL_NEW",
    }
    if values:
        request["ExpressionAttributeValues"] = to_attributes(values)
    if names:
        request["ExpressionAttributeNames"] = dict(names)
    if condition:
        request["ConditionExpression"] = condition
    try:
        response = client("dynamodb").update_item(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ConditionFailed(expression) from None
        raise
    return from_attributes(response["Attributes"])


def put(item: Mapping[str, Any], *, condition: str | None = None) -> None:
    """Write ``item`` whole; ``ConditionFailed`` when ``condition`` does not hold."""
    request: dict[str, Any] = {"TableName": _table(), "Item": to_attributes(item)}
    if condition:
        request["ConditionExpression"] = condition
    try:
        client("dynamodb").put_item(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ConditionFailed(condition) from None
        raise


def delete(key: Mapping[str, str]) -> Item | None:
    """Delete the item at ``key``; what it was, or None when there was none."""
    response = client("dynamodb").delete_item(
        TableName=_table(), Key=to_attributes(key), ReturnValues="ALL_OLD"
    )
    return from_attributes(response["Attributes"]) if "Attributes" in response else None


def query_pages(request: Mapping[str, Any]) -> Iterator[tuple[list[Item], dict[str, Any] | None]]:
    """Run a Query page by page (``TableName`` is added); each page comes with its
    ``LastEvaluatedKey`` (None on the last page). The caller may stop early."""
    for page, last_key in raw_pages(request):
        yield [from_attributes(item) for item in page], last_key


def raw_pages(request: Mapping[str, Any]) -> Iterator[tuple[list[Item], dict[str, Any] | None]]:
    """As ``query_pages``, the items as DynamoDB attribute values (what a model reads)."""
    paged = {"TableName": _table(), **request}
    while True:
        response = client("dynamodb").query(**paged)
        last_key = response.get("LastEvaluatedKey")
        yield response.get("Items", []), last_key
        if last_key is None:
            return
        paged["ExclusiveStartKey"] = last_key


def scan_entity(entity: str, table_name: str | None = None) -> Iterator[Item]:
    """Every item of one kind, read with a whole-table Scan: for operators' tools
    (the ledger check, backfills), never a request path."""
    paginator = client("dynamodb").get_paginator("scan")
    pages = paginator.paginate(
        TableName=table_name or _table(),
        FilterExpression="entity = :entity",
        ExpressionAttributeValues={":entity": {"S": entity}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_attributes(item)


def query_partition(
    pk: str, *, sk_prefix: str | None = None, consistent: bool = False
) -> list[Item]:
    """Every item of one partition (optionally of one sort-key prefix), all pages."""
    condition = "PK = :pk" + (" AND begins_with(SK, :prefix)" if sk_prefix else "")
    values: dict[str, Any] = {":pk": pk}
    if sk_prefix:
        values[":prefix"] = sk_prefix
    request = {
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": to_attributes(values),
        "ConsistentRead": consistent,
    }
    return [item for page, _ in query_pages(request) for item in page]


def index_page(
    index: str,
    partition: str,
    *,
    limit: int,
    start_key: Mapping[str, str] | None = None,
    sort_prefix: str | None = None,
    sort_below: str | None = None,
    sort_above: str | None = None,
    newest_first: bool = False,
) -> tuple[list[Item], dict[str, str] | None]:
    """One page of an index partition (optionally narrowed by ONE sort-key condition)
    and the position to resume after it: the index key as plain strings, what a
    pagination cursor carries; None on the last page."""
    request = _index_request(
        index,
        partition,
        sort_prefix=sort_prefix,
        sort_below=sort_below,
        sort_above=sort_above,
        newest_first=newest_first,
    )
    request["Limit"] = limit
    if start_key:
        request["ExclusiveStartKey"] = to_attributes(start_key)
    for page, last_key in query_pages(request):
        resume = (
            {name: str(value) for name, value in from_attributes(last_key).items()}
            if last_key
            else None
        )
        return page, resume
    return [], None  # pragma: no cover  (query_pages yields at least one page)


def _index_request(
    index: str,
    partition: str,
    *,
    sort_prefix: str | None = None,
    sort_below: str | None = None,
    sort_above: str | None = None,
    newest_first: bool = False,
) -> dict[str, Any]:
    conditions = [
        (f"begins_with({index}SK, :sort)", sort_prefix),
        (f"{index}SK < :sort", sort_below),
        (f"{index}SK > :sort", sort_above),
    ]
    chosen = [(condition, value) for condition, value in conditions if value is not None]
    if len(chosen) > 1:
        raise ValueError("a query takes one sort-key condition at most")
    condition = " AND ".join([f"{index}PK = :pk", *(c for c, _ in chosen)])
    values = {":pk": partition, ":sort": chosen[0][1] if chosen else None}
    return {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": to_attributes(values),
        "ScanIndexForward": not newest_first,
    }


# A list sharded over several partitions of an index (keys.*_LIST_SHARDS) is read as one:
# its sort key orders all of it, so a merge by that key keeps its order.
_SHARD_PAGE_FLOOR = 10  # items asked of each shard at least: small lists in one round


def first_of_sharded_raw(
    index: str,
    partitions: Sequence[str],
    *,
    limit: int,
    sort_below: str | None = None,
    sort_above: str | None = None,
    newest_first: bool = False,
    whole_page_per_shard: bool = False,
) -> tuple[list[Item], bool]:
    """At most the first ``limit`` items of a sharded list in sort-key order (newest
    first: descending), as DynamoDB attribute values, and whether more may follow.

    Ids spread items evenly, so each shard is asked for twice its share of ``limit``
    (not ``limit`` itself: that would read shards x ``limit`` items for ``limit``). A
    shard whose page stops (at that, or at DynamoDB's 1 MB) may hold more items past its
    last one, so nothing past the earliest such stop is returned: the answer can be
    shorter than ``limit`` with more to follow, and a caller resuming after its last item
    skips nothing.

    ``whole_page_per_shard`` asks each shard for ``limit``: the answer is then exactly
    the first ``limit`` of all (short only where a shard's page stops at 1 MB first), for
    a reader that cannot resume after a position and starts over from the first item."""
    per_shard = (
        limit
        if whole_page_per_shard
        else min(limit, max(_SHARD_PAGE_FLOOR, math.ceil(2 * limit / len(partitions))))
    )

    def position(raw: Item) -> str:
        return str(raw[f"{index}SK"]["S"])

    found: list[Item] = []
    stops: list[str] = []
    stopped = False
    for partition in partitions:
        request = _index_request(
            index,
            partition,
            sort_below=sort_below,
            sort_above=sort_above,
            newest_first=newest_first,
        )
        request["Limit"] = per_shard
        page, last_key = next(raw_pages(request))
        found.extend(page)
        if last_key is not None:
            stopped = True
            stops.extend(position(raw) for raw in page[-1:])
    found.sort(key=position, reverse=newest_first)
    if stops:
        stop = max(stops) if newest_first else min(stops)
        found = [raw for raw in found if _not_past(position(raw), stop, descending=newest_first)]
    return found[:limit], stopped or len(found) > limit


def _not_past(position: str, stop: str, *, descending: bool) -> bool:
    return position >= stop if descending else position <= stop


def first_of_sharded(
    index: str,
    partitions: Sequence[str],
    *,
    limit: int,
    sort_below: str | None = None,
    sort_above: str | None = None,
    newest_first: bool = False,
    whole_page_per_shard: bool = False,
) -> tuple[list[Item], bool]:
    """As ``first_of_sharded_raw``, the items as plain values."""
    raw, more = first_of_sharded_raw(
        index,
        partitions,
        limit=limit,
        sort_below=sort_below,
        sort_above=sort_above,
        newest_first=newest_first,
        whole_page_per_shard=whole_page_per_shard,
    )
    return [from_attributes(item) for item in raw], more


def all_of_sharded(index: str, partitions: Sequence[str]) -> list[Item]:
    """Every item of a sharded list (all pages of every shard), in sort-key order."""
    found = [
        item
        for partition in partitions
        for page, _ in query_pages(_index_request(index, partition))
        for item in page
    ]
    return sorted(found, key=lambda item: str(item[f"{index}SK"]))


# ------------------------------------------------------------- transactions
def put_op(
    item: Mapping[str, Any],
    *,
    condition: str | None = None,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"TableName": _table(), "Item": to_attributes(item)}
    if condition:
        operation["ConditionExpression"] = condition
    if values:
        operation["ExpressionAttributeValues"] = to_attributes(values)
    if names:
        operation["ExpressionAttributeNames"] = dict(names)
    return {"Put": operation}


def update_op(
    key: Mapping[str, str],
    expression: str,
    *,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
    condition: str | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "TableName": _table(),
        "Key": to_attributes(key),
        "UpdateExpression": expression,
    }
    if values:
        operation["ExpressionAttributeValues"] = to_attributes(values)
    if names:
        operation["ExpressionAttributeNames"] = dict(names)
    if condition:
        operation["ConditionExpression"] = condition
    return {"Update": operation}


def delete_op(
    key: Mapping[str, str],
    *,
    condition: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"TableName": _table(), "Key": to_attributes(key)}
    if condition:
        operation["ConditionExpression"] = condition
    if values:
        operation["ExpressionAttributeValues"] = to_attributes(values)
    return {"Delete": operation}


def check_op(
    key: Mapping[str, str],
    condition: str,
    *,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "TableName": _table(),
        "Key": to_attributes(key),
        "ConditionExpression": condition,
    }
    if values:
        operation["ExpressionAttributeValues"] = to_attributes(values)
    if names:
        operation["ExpressionAttributeNames"] = dict(names)
    return {"ConditionCheck": operation}


def transact(operations: Sequence[dict[str, Any]]) -> None:
    """All of ``operations`` or none; ``TransactionCancelled`` says which condition failed."""
    try:
        client("dynamodb").transact_write_items(TransactItems=list(operations))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" not in reasons:
            raise  # a conflict or throttle: the caller's retry (or the client's) decides
        raise TransactionCancelled(reasons) from None


def probe_table() -> None:
    """Raise unless the table answers a keyed read (the item need not exist)."""
    get(_PROBE_KEY)
