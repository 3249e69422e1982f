"""Keys derived from the active JWT signing key (HKDF-SHA256), one per purpose.

Deriving them (rather than storing more secrets) means one secret to rotate; rotating
the JWT key changes every derived key, and so ends what was made with the old ones
(each purpose says what that means for it).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from admitone.adapters.signing_keys import load_keyset
from admitone.domain.keys import KeyPurpose, KeySet

_LENGTH = 32


class _Derived:
    """The last key set seen and the keys derived from it (``load_keyset`` returns the
    same object until the secret is re-read, so an identity check is enough)."""

    keyset: KeySet | None = None
    keys: dict[bytes, bytes] = {}  # noqa: RUF012  (one cache per container, on purpose)


def derived_key(purpose: bytes) -> bytes:
    """The key for ``purpose`` (HKDF's info, e.g. ``b"admitone/cursor/v1"``)."""
    keyset = load_keyset()
    if keyset is not _Derived.keyset:
        _Derived.keyset, _Derived.keys = keyset, {}
    if purpose not in _Derived.keys:
        private = keyset.signing_key(KeyPurpose.JWT).private_key.private_bytes_raw()
        _Derived.keys[purpose] = HKDF(
            algorithm=SHA256(), length=_LENGTH, salt=None, info=purpose
        ).derive(private)
    return _Derived.keys[purpose]
