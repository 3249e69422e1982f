"""Fixed-window rate counters in the single table: one conditional UpdateItem per hit.

Item: ``PK = RATE#<family>#<key kind>#<pseudonym>``, ``SK = WINDOW#<window start epoch>``,
``hits`` (number), ``expires_at`` (TTL). Client keys (IP, user id, device token) are
personal data or secrets: only a truncated SHA-256 of them is ever stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.rate_limits import Limit, window_start

ENTITY = "rate_counter"
# 128 bits: collisions between two clients' counters are out of reach.
PSEUDONYM_HEX_CHARS = 32
# TTL deletes a window's item some time after it ends; the margin keeps a container
# whose clock runs a little behind from recreating (and so resetting) a window that
# another container already saw end.
EXPIRY_MARGIN_SECONDS = 300

_CONDITION_FAILED = "ConditionalCheckFailedException"


def pseudonym(limit: Limit, client_key: str) -> str:
    """A stable stand-in for ``client_key`` in keys and logs.

    Unkeyed: it keeps raw values out of the table and the logs, but whoever can read
    the table could still hash every IPv4 address to reverse one.
    """
    digest = hashlib.sha256(f"{limit.per}:{client_key}".encode()).hexdigest()
    return digest[:PSEUDONYM_HEX_CHARS]


def counter_key(limit: Limit, client_key: str, *, now: datetime) -> dict[str, dict[str, str]]:
    """The key of ``client_key``'s counter for ``limit`` in the window holding ``now``."""
    start = window_start(now, limit.window_seconds)
    key = keys.rate_counter(limit.family, limit.per, pseudonym(limit, client_key), start)
    return {name: {"S": value} for name, value in key.items()}


def hit_update(limit: Limit, client_key: str, *, now: datetime) -> dict[str, Any]:
    """The conditional UpdateItem that counts one hit (the table name included): sent on
    its own by ``try_count_hit``, or as an ``Update`` of a transaction (the idempotency
    record's, adapters/idempotency_records.py), where its failed condition is "full"."""
    expires_at = window_start(now, limit.window_seconds) + limit.window_seconds
    return {
        "TableName": settings().table_name,
        "Key": counter_key(limit, client_key, now=now),
        # ADD creates `hits` at 1 on the window's first hit; the condition makes
        # check-and-increment one atomic step, so concurrent hits never overshoot.
        "UpdateExpression": "ADD hits :one SET expires_at = :expires_at, entity = :entity",
        "ConditionExpression": "attribute_not_exists(hits) OR hits < :limit",
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": str(limit.count)},
            ":expires_at": {"N": str(expires_at + EXPIRY_MARGIN_SECONDS)},
            ":entity": {"S": ENTITY},
        },
    }


def try_count_hit(limit: Limit, client_key: str, *, now: datetime) -> bool:
    """Count one hit for ``client_key`` against ``limit``; False when its window is full.

    A full window is an outcome, not an error: the hit is not counted. Raises
    ``DependencyUnavailable`` when the table cannot be written (the caller decides
    whether that refuses the request).
    """
    return _conditional_update(**hit_update(limit, client_key, now=now))


def give_back_hit(limit: Limit, client_key: str, *, now: datetime) -> None:
    """Take back one hit counted at ``now`` (a reservation that turned out not to count).

    Never below zero and never creating a counter; raises ``DependencyUnavailable`` when
    the table cannot be written.
    """
    _conditional_update(
        TableName=settings().table_name,
        Key=counter_key(limit, client_key, now=now),
        UpdateExpression="ADD hits :minus_one",
        ConditionExpression="hits > :zero",
        ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
    )


def _conditional_update(**request: Any) -> bool:
    """One conditional UpdateItem of a counter: False when its condition does not hold
    (an outcome, not an error); ``DependencyUnavailable`` when the table cannot be written."""
    try:
        client("dynamodb").update_item(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
            return False
        raise DependencyUnavailable("The rate limit store is unavailable.") from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable("The rate limit store is unavailable.") from exc
    return True
