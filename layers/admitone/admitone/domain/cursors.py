"""Pagination cursors: opaque to clients, tamper-evident, bound to the query they page.

Contract:
- A cursor is ``<payload>.<tag>``: ``payload`` is unpadded base64url of compact JSON
  ``{"v": 1, "f": <filter fingerprint>, "p": <position>}``, ``tag`` is unpadded
  base64url of HMAC-SHA256(key, payload). The position is a flat object of strings.
- ``decode_cursor`` MUST refuse (``CursorInvalid``) a cursor that is truncated, altered,
  signed with another key, of another version, or issued for other filters; it never
  says which, so a forger learns nothing. The tag is checked before the JSON is parsed.
- Clients MUST treat cursors as opaque; the server MAY change their content with a new
  version (old versions are then refused, and the client starts from the first page).
- A cursor holds no secret: anyone can decode the payload. Put nothing in a position
  that its reader may not see (the position of a public listing is public).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from admitone.domain.errors import CursorInvalid, FieldError

VERSION = 1
MAX_CURSOR_LENGTH = 1024
MIN_KEY_LENGTH = 32
_FIELD = "query.cursor"

Position = dict[str, str]
FilterValue = str | int | list[str] | None


def fingerprint(filters: Mapping[str, FilterValue]) -> str:
    """A short, stable digest of the (normalized) filters a cursor is valid for."""
    canonical = json.dumps(dict(filters), sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest()[:16])


def encode_cursor(position: Mapping[str, str], filters_fingerprint: str, key: bytes) -> str:
    _require_key(key)
    document = {"v": VERSION, "f": filters_fingerprint, "p": dict(position)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    payload = _b64(text.encode())
    cursor = f"{payload}.{_b64(_tag(key, payload))}"
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("the position is too large for a cursor")  # we would refuse it
    return cursor


def decode_cursor(cursor: str, filters_fingerprint: str, key: bytes) -> Position:
    """The position in ``cursor``; ``CursorInvalid`` unless it is intact, ours and for
    these filters."""
    _require_key(key)
    payload, dot, tag = cursor.partition(".")
    if len(cursor) > MAX_CURSOR_LENGTH or not dot:
        raise _invalid()
    expected = _b64(_tag(key, payload))
    if not hmac.compare_digest(expected.encode(), tag.encode()):
        raise _invalid()
    # Only text we signed gets here, so it decodes; the checks below guard against a
    # cursor of another version (or a bug in this module), not against clients.
    document = json.loads(_unb64(payload))
    if (
        not isinstance(document, dict)
        or document.get("v") != VERSION
        or document.get("f") != filters_fingerprint
    ):
        raise _invalid()
    position = document.get("p")
    if not isinstance(position, dict) or not all(
        isinstance(value, str) for value in position.values()
    ):
        raise _invalid()
    return position


def _require_key(key: bytes) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"a cursor key needs at least {MIN_KEY_LENGTH} bytes")


def _tag(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _invalid() -> CursorInvalid:
    return CursorInvalid(
        "The cursor is not valid for this query; start again from the first page.",
        errors=(FieldError(_FIELD, "not a cursor this query issued", CursorInvalid.code),),
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
