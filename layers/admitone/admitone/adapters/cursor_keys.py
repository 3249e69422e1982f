"""The key that signs pagination cursors: HKDF-SHA256 of the active JWT signing key.

Deriving it (rather than storing another secret) means one secret to rotate; rotating
the JWT key invalidates outstanding cursors, whose clients then start from page one.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from admitone.adapters.signing_keys import load_keyset
from admitone.domain.keys import KeyPurpose, KeySet

_INFO = b"admitone/cursor/v1"
_LENGTH = 32


class _Derived:
    """The last key set seen and its cursor key (``load_keyset`` returns the same object
    until the secret is re-read, so an identity check is enough)."""

    keyset: KeySet | None = None
    key: bytes = b""


def cursor_key() -> bytes:
    keyset = load_keyset()
    if keyset is not _Derived.keyset:
        private = keyset.signing_key(KeyPurpose.JWT).private_key.private_bytes_raw()
        _Derived.key = HKDF(algorithm=SHA256(), length=_LENGTH, salt=None, info=_INFO).derive(
            private
        )
        _Derived.keyset = keyset
    return _Derived.key
