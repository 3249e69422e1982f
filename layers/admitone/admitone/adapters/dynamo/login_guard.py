"""Failed-login counters of the login backoff (domain/login_guard.py), one item each,
and the sources each address is known from.

Counter (``keys.login_guard``): ``PK = LOGINGUARD#<address|source|known-source>#<pseudonym>``,
``SK = GUARD``; ``count``, ``leaking_since``, ``retry_at``, ``noticed_at`` (ISO 8601,
absent until set), ``version`` (every write is conditional on the one it read) and
``expires_at`` (TTL: when nothing in it matters any more). Addresses and IPs are
personal data: only a truncated SHA-256 of them is stored.

Known sources (``keys.login_known_sources``): ``PK = LOGINGUARD#known#<HMAC of the
address>``, ``SK = SOURCES``; ``sources``, a map from each known source's fingerprint
to the epoch second it stops being known, and ``expires_at`` (TTL: the latest of them).
A fingerprint is HMAC-SHA256, under a key derived from the JWT signing key, of the
address and the source's IP key (IPv4 address, IPv6 /64), truncated to 128 bits: unlike
the counters' pseudonyms it cannot be tested against a guessed IP without the key (2**32
IPv4 addresses are quickly tried), and it links no two accounts signed in from one
network. Rotating the JWT key forgets every known source (sign-ins teach them again).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from admitone.adapters.derived_keys import derived_key
from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, instant, put_op
from admitone.domain.login_guard import BY_ADDRESS, BY_SOURCE, Backoff, Failures, KnownSources

ENTITY = "login_guard"
KNOWN_SOURCES_ENTITY = "login_known_sources"
PSEUDONYM_HEX_CHARS = 32  # 128 bits, as the rate counters
_FINGERPRINT_PURPOSE = b"admitone/login-known-source/v1"


class Kind(StrEnum):
    ADDRESS = "address"
    SOURCE = "source"
    # One address's failures from one of its known sources (keyed by its fingerprint).
    KNOWN_SOURCE = "known-source"


_POLICY: dict[Kind, Backoff] = {
    Kind.ADDRESS: BY_ADDRESS,
    Kind.SOURCE: BY_SOURCE,
    Kind.KNOWN_SOURCE: BY_ADDRESS,
}


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


def _keyed_digest(text: str) -> str:
    digest = hmac.new(derived_key(_FINGERPRINT_PURPOSE), text.encode(), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_HEX_CHARS]


def source_fingerprint(address: str, source: str) -> str:
    """The stand-in of ``source`` (an IP key) as a source of ``address``."""
    return _keyed_digest(f"source:{address}\n{source}")


def _known_key(address: str) -> dict[str, str]:
    return keys.login_known_sources(_keyed_digest(f"address:{address}"))


def known_sources(address: str) -> KnownSources:
    """The sources ``address`` is known from; none if it has no account or no sign-in."""
    item = table.get(_known_key(address), consistent=True)
    if item is None:
        return KnownSources()
    return KnownSources(
        {
            fingerprint: datetime.fromtimestamp(int(ends), UTC)
            for fingerprint, ends in item["sources"].items()
        }
    )


def remember(address: str, sources: KnownSources) -> None:
    """Store ``sources`` as the ones ``address`` is known from. Last writer wins: a
    source lost to a concurrent sign-in is learnt again at its next one."""
    last = sources.forgotten_at()
    table.put(
        {
            **_known_key(address),
            "entity": KNOWN_SOURCES_ENTITY,
            "sources": {
                fingerprint: int(ends.timestamp()) for fingerprint, ends in sources.until.items()
            },
            "expires_at": None if last is None else int(last.timestamp()) + 1,
        }
    )


def forget_known_sources(address: str) -> None:
    table.delete(_known_key(address))
