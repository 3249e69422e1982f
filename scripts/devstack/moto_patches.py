"""Three costs of moto's DynamoDB that have nothing to do with what a request asks.

Each keeps moto's own code and outcome; they only stop it from doing needless work.

1. TransactWriteItems. moto 5 makes its rollback copy by deep-copying the WHOLE table
once per operation of the transaction, so a transaction costs O(table size x
operations): on an on-sale with a few hundred orders each hold takes ~100 ms, and the
proofs and benchmarks measure moto instead of the checkout. ``install()`` keeps moto's
own transaction code (its checks, its errors, its all-or-nothing outcome) and changes
only the backup: the items the transaction names, and the table's stream length, are
saved before it runs and put back if it fails. The outcome is the same; the cost is
O(operations).

2. Query on the table itself (no index). moto filters EVERY item of the table by its
partition key; DynamoDB reads one partition. ``install()`` hands moto's query that one
partition's items as "all items" for the duration of the call.

3. Responses of the item operations. moto 5 walks botocore's shape model value by value
to write every response, which for an item read or a query is most of its time (~15 ms
for a query of a few items). The items moto returns are already in DynamoDB's JSON wire
format, so ``install()`` writes the responses of the item operations with ``json.dumps``
(what the shape walk produces for them) and leaves every other response, and anything
``json`` cannot write as it is, to moto's serializer.

All three keep moto's behaviour; the in-process moto of the tests and the moto server of
the local stack install them, each under the lock that serializes moto's requests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import moto.dynamodb.models as dynamodb_backend
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

_installed = False


class _TablesAreNotCopied:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a Table
    "copy" is the table itself (its items are saved per item instead)."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _key_of(table: Table, operation_type: str, operation: dict[str, Any]) -> tuple[Any, Any]:
    attributes = operation["Item"] if operation_type == "Put" else operation["Key"]
    hash_value = DynamoType(attributes[table.hash_key_attr])
    range_value = (
        DynamoType(attributes[table.range_key_attr]) if table.range_key_attr is not None else None
    )
    return hash_value, range_value


def _restore(table: Table, hash_value: Any, range_value: Any, saved: Any) -> None:
    if table.has_range_key:
        if saved is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = saved
    elif saved is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = saved


def install() -> None:
    """Patch moto's backend once per process."""
    global _installed  # noqa: PLW0603  (one patch per process)
    if _installed:
        return
    dynamodb_backend.copy = _TablesAreNotCopied  # type: ignore[assignment]
    original: Callable[..., None] = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, Any, Any, Any]] = []
        streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items[:100]:  # moto refuses more, before any write
            operation_type, operation = next(iter(entry.items()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            try:
                hash_value, range_value = _key_of(table, operation_type, operation)
            except KeyError:
                continue  # moto refuses a malformed key before any write
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                _restore(table, hash_value, range_value, item)
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
    DynamoHandler.serialized = _item_responses_as_json(DynamoHandler.serialized)  # type: ignore[method-assign]
    _installed = True


_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_JSON_1_0 = "application/x-amz-json-1.0"


def _item_responses_as_json(serialized: Callable[..., Any]) -> Callable[..., Any]:
    def item_response_as_json(self: DynamoHandler, action_result: ActionResult) -> Any:
        result = action_result.result
        if self._get_action() not in _ITEM_OPERATIONS or not isinstance(result, dict):
            return serialized(self, action_result)
        try:
            body = json.dumps({key: value for key, value in result.items() if value is not None})
        except TypeError:  # bytes, sets, ...: the shape walk knows how to write them
            return serialized(self, action_result)
        return 200, {"Content-Type": _JSON_1_0, **self.response_headers}, body

    return item_response_as_json


def _partition_query(query: Callable[..., Any]) -> Callable[..., Any]:
    # moto's backend passes index_name positionally, 8th after self.
    index_position = 6

    def partition_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = (
            args[index_position] if len(args) > index_position else kwargs.get("index_name")
        )
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)
        if partition is None:
            items: list[Any] = []
        elif self.range_key_attr:
            items = list(partition.values())
        else:
            items = [partition]
        # An instance attribute shadows the method for this one call (moto's requests are
        # serialized, so no other call sees it).
        self.all_items = lambda: items  # type: ignore[method-assign]
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    return partition_query
