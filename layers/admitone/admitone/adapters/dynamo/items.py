"""The shape every item of the single table shares, declared once with pynamodb.

Each kind of item is a subclass of ``TableItem`` named for what it holds (``OutboxRecord``,
``OrderRecord``, ...), registered under its ``entity`` discriminator, declaring its own
attributes. Its module maps it to and from the domain object explicitly; nothing else
names stored attributes, and repositories never hand a model out (STYLE §7).

pynamodb declares and (de)serializes; the requests go through the container's one
boto3 client (``adapters/aws.py``: lazy, short timeouts) so that every condition is
written exactly as DynamoDB evaluates it and a transaction can mix items of any kind.
``Meta`` still carries short timeouts and the table of the function's settings, read
when first used, for anything that talks to DynamoDB through pynamodb itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Self

from pynamodb.attributes import (
    Attribute,
    DiscriminatorAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.constants import LIST, MAP, NUMBER, STRING
from pynamodb.models import Model

from admitone.adapters.aws import client
from admitone.adapters.dynamo.keys import Key
from admitone.adapters.dynamo.table import (
    from_attribute,
    from_attributes,
    instant,
    to_attribute,
    to_attributes,
)
from admitone.config import settings

RawItem = dict[str, Any]


class _FromSettings:
    """A ``Meta`` value read from the settings when pynamodb first asks for it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return getattr(settings(), self.name)


class IntegerAttribute(Attribute[int]):
    """A number the table only ever holds whole (cents, counts, versions): read back as
    ``int``, never float (pynamodb's NumberAttribute reads ``float``)."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        return str(int(value))

    def deserialize(self, value: str) -> int:
        number = Decimal(value)
        if number != number.to_integral_value():
            raise TypeError(f"non-integer number in the table: {value}")
        return int(number)


class InstantAttribute(Attribute[datetime]):
    """A moment stored as UTC ISO 8601 with microseconds and a Z, always the same width,
    so that comparing the strings (a sort key, a condition) compares the moments."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return instant(value)

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value)


class SecondInstantAttribute(Attribute[datetime]):
    """A moment to the whole second, as the catalog stores its times (``2026-05-01T20:00:00Z``:
    ``catalog.iso``), kept in that form byte for byte."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value)


class PlainMapAttribute(Attribute[dict[str, Any]]):
    """A map as ``table.to_attributes`` stores a nested value: every key kept (a ``None``
    as NULL, where ``DocumentAttribute`` leaves the key out), numbers whole and read back
    as ``int``. What an item written by the op builders holds, attribute for attribute."""

    attr_type = MAP

    def serialize(self, value: dict[str, Any]) -> dict[str, Any]:
        serialized: dict[str, Any] = to_attribute(value)[MAP]
        return serialized

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return from_attributes(value)


class PlainListAttribute(Attribute[list[Any]]):
    """A list of plain values (maps, lists, strings, whole numbers), stored as
    ``table.to_attributes`` stores it."""

    attr_type = LIST

    def serialize(self, value: list[Any]) -> list[Any]:
        serialized: list[Any] = to_attribute(value)[LIST]
        return serialized

    def deserialize(self, value: list[Any]) -> list[Any]:
        return [from_attribute(element) for element in value]


class DocumentAttribute(Attribute[dict[str, Any]]):
    """A nested map of plain values (an event's detail, a snapshot): numbers are whole
    and come back as ``int``, as everywhere in the table."""

    attr_type = MAP

    def serialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return to_attributes(value)

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return from_attributes(value)


class TableItem(Model):
    """Generic keys, the ``entity`` discriminator and the TTL attribute (README.md)."""

    class Meta:
        table_name = _FromSettings("table_name")
        region: Any = None  # replaced below: read lazily, not at import
        host = None  # the standard AWS_ENDPOINT_URL, as every other client
        connect_timeout_seconds = 1
        read_timeout_seconds = 2
        max_retry_attempts = 3

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    entity = DiscriminatorAttribute()
    # When DynamoDB may delete the item (late: every read of a TTL'd item checks it too).
    expires_at = TTLAttribute(null=True)

    @classmethod
    def kind(cls) -> str:
        """The ``entity`` value this kind is registered under."""
        return str(cls.entity.get_discriminator(cls))

    @classmethod
    def at(cls, key: Key, **attributes: Any) -> Self:
        """A new item of this kind at ``key`` (a ``keys`` builder's result)."""
        return cls(key["PK"], key["SK"], **attributes)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Self:
        return cls.from_raw_data(dict(raw))

    def attributes(self) -> RawItem:
        """The item as DynamoDB attribute values (what a Put carries)."""
        return self.serialize()


TableItem.Meta.region = _FromSettings("aws_region")


def serialized_key(key: Key) -> RawItem:
    return {name: {"S": value} for name, value in key.items()}


def load[T: TableItem](kind: type[T], key: Key, *, consistent: bool = False) -> T | None:
    """The item at ``key`` if it is there and of this kind (None otherwise)."""
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=serialized_key(key), ConsistentRead=consistent
    )
    raw = response.get("Item")
    if raw is None or raw.get("entity", {}).get("S") != kind.kind():
        return None
    return kind.from_raw(raw)


def put_record(
    record: TableItem, *, condition: str, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A transaction's Put of ``record`` under ``condition`` (``#status`` names ``status``)."""
    request: dict[str, Any] = {
        "TableName": settings().table_name,
        "Item": record.attributes(),
        "ConditionExpression": condition,
    }
    if "#status" in condition:
        request["ExpressionAttributeNames"] = {"#status": "status"}
    if values:
        request["ExpressionAttributeValues"] = {
            name: to_attribute(value) for name, value in values.items()
        }
    return {"Put": request}
