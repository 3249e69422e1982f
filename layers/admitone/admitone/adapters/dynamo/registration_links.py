"""The live registration link of an order: its version, and when that version was issued.

Item (``keys.registration_link``): ``entity = registration_link``, ``order_id``,
``version`` (number) and ``issued_epoch`` (Unix seconds). No item means the order's first
link (version 1, issued when the order was paid) is the live one; replacing a link is
one UpdateItem that adds one to the version, so two replacements never share a version.
No token is stored: a link is re-signed from (order, version, issued) when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.dynamo import keys, table

ENTITY = "registration_link"
FIRST_VERSION = 1


@dataclass(frozen=True)
class LinkVersion:
    version: int
    issued_at: datetime


def _to_version(item: table.Item) -> LinkVersion:
    return LinkVersion(
        version=int(item["version"]),
        issued_at=datetime.fromtimestamp(int(item["issued_epoch"]), tz=UTC),
    )


def live_version(order_id: str) -> LinkVersion | None:
    """The replaced link's version, or None while the first link stands (consistent: a
    replaced link stops working at once)."""
    item = table.get(keys.registration_link(order_id), consistent=True)
    return _to_version(item) if item else None


def replace_link(order_id: str, *, now: datetime) -> LinkVersion:
    """Make a new version the live one (the previous one stops working); returns it."""
    item = table.update(
        keys.registration_link(order_id),
        "SET #version = if_not_exists(#version, :first) + :one,"
        " issued_epoch = :now, entity = :entity, order_id = :order",
        names={"#version": "version"},
        values={
            ":first": FIRST_VERSION,
            ":one": 1,
            ":now": int(now.timestamp()),
            ":entity": ENTITY,
            ":order": order_id,
        },
    )
    return _to_version(item)
