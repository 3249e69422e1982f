"""The Ed25519 key set, read from Secrets Manager through Powertools Parameters (cached)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)

from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable
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
    config = settings()
    try:
        document = parameters.get_secret(
            config.signing_keys_secret_id,
            transform="json",
            max_age=config.secrets_max_age_seconds,
        )
    except TransformParameterError:
        # from None: the JSON error could carry a fragment of the secret.
        raise KeySetError("signing key secret is not JSON") from None
    except GetParameterError as exc:
        raise DependencyUnavailable("Signing keys are unavailable.") from exc
    if document is _Parsed.document and _Parsed.keyset is not None:
        return _Parsed.keyset
    if not isinstance(document, Mapping):
        raise KeySetError("signing key secret is not a JSON object")
    keyset = KeySet.from_document(document)
    _Parsed.document, _Parsed.keyset = document, keyset
    return keyset
