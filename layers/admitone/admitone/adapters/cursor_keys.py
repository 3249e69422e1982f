"""The key that signs pagination cursors, derived from the active JWT signing key:
rotating that key invalidates outstanding cursors, whose clients then start from page
one."""

from __future__ import annotations

from admitone.adapters.derived_keys import derived_key

_PURPOSE = b"admitone/cursor/v1"


def cursor_key() -> bytes:
    return derived_key(_PURPOSE)
