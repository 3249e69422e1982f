"""Failed-login counters of the login backoff (domain/login_guard.py), one item each.

Item (``keys.login_guard``): ``PK = LOGINGUARD#<address|source>#<pseudonym>``,
``SK = GUARD``; ``count``, ``leaking_since``, ``retry_at``, ``noticed_at`` (ISO 8601,
absent until set), ``version`` (every write is conditional on the one it read) and
``expires_at`` (TTL: when nothing in it matters any more). Addresses and IPs are
personal data: only a truncated SHA-256 of them is stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, instant, put_op
from admitone.domain.login_guard import BY_ADDRESS, BY_SOURCE, Backoff, Failures

ENTITY = "login_guard"
PSEUDONYM_HEX_CHARS = 32  # 128 bits, as the rate counters


class Kind(StrEnum):
    ADDRESS = "address"
    SOURCE = "source"


_POLICY: dict[Kind, Backoff] = {Kind.ADDRESS: BY_ADDRESS, Kind.SOURCE: BY_SOURCE}


def pseudonym(kind: Kind, key: str) -> str:
    """A stable stand-in for an address or IP. Unkeyed, like the rate counters': whoever
    can read the table can test a guess, but reads no address from it (and could read
    the users' addresses from their own items anyway)."""
    return hashlib.sha256(f"login:{kind}:{key}".encode()).hexdigest()[:PSEUDONYM_HEX_CHARS]


def _key(kind: Kind, key: str) -> dict[str, str]:
    return keys.login_guard(str(kind), pseudonym(kind, key))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def failures(kind: Kind, key: str) -> Failures:
    """The counter of ``key`` (an address or a source IP key); empty if none."""
    item = table.get(_key(kind, key), consistent=True)
    if item is None:
        return Failures()
    return Failures(
        count=int(item["count"]),
        leaking_since=_moment(item.get("leaking_since")),
        retry_at=_moment(item.get("retry_at")),
        noticed_at=_moment(item.get("noticed_at")),
        version=int(item["version"]),
    )


def _item(kind: Kind, key: str, state: Failures) -> Item:
    ends = state.forgotten_at(_POLICY[kind])
    return {
        **_key(kind, key),
        "entity": ENTITY,
        "count": state.count,
        "leaking_since": None if state.leaking_since is None else instant(state.leaking_since),
        "retry_at": None if state.retry_at is None else instant(state.retry_at),
        "noticed_at": None if state.noticed_at is None else instant(state.noticed_at),
        "version": state.version,
        "expires_at": None if ends is None else int(ends.timestamp()) + 1,
    }


def _put_op(kind: Kind, key: str, state: Failures) -> dict[str, Any]:
    seen = state.version - 1
    if seen <= 0:
        return put_op(_item(kind, key, state), condition="attribute_not_exists(PK)")
    return put_op(_item(kind, key, state), condition="version = :seen", values={":seen": seen})


def save(
    kind: Kind, key: str, state: Failures, *, with_ops: tuple[dict[str, Any], ...] = ()
) -> bool:
    """Write ``state`` if the stored counter is still the one it was made from (and,
    together, ``with_ops``); False when another write came first: read again."""
    try:
        table.transact([_put_op(kind, key, state), *with_ops])
    except table.TransactionCancelled as cancelled:
        if cancelled.failed(0):
            return False
        raise
    return True


def forget(kind: Kind, key: str) -> None:
    table.delete(_key(kind, key))
