"""The Ed25519 key set, read from Secrets Manager (cached) and parsed once per refresh."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from admitone.adapters.secrets import SecretMalformed, secret_json
from admitone.config import settings
from admitone.domain.keys import KeySet, KeySetError


class _Parsed:
    """The last document Powertools handed out and its parsed key set.

    Powertools returns the very same object until ``max_age`` passes, so an identity
    check skips re-deriving every key on each call and re-parses right after a refresh.
    """

    document: Mapping[str, Any] | None = None
    keyset: KeySet | None = None


def load_keyset() -> KeySet:
    """The signing key set named by ``SIGNING_KEYS_SECRET_ID``.

    Re-read from Secrets Manager after ``SECRETS_MAX_AGE_SECONDS``. Raises
    ``DependencyUnavailable`` when the secret cannot be fetched and ``KeySetError`` when
    it is not a valid key document (a deployment fault: nothing can be signed).
    """
    try:
        document = secret_json(settings().signing_keys_secret_id)
    except SecretMalformed as exc:
        raise KeySetError(str(exc)) from None
    if document is _Parsed.document and _Parsed.keyset is not None:
        return _Parsed.keyset
    keyset = KeySet.from_document(document)
    _Parsed.document, _Parsed.keyset = document, keyset
    return keyset
