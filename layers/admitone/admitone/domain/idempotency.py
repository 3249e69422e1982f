"""Client idempotency keys (RULES §5): which keys are valid, what counts as the same
request, which results are kept, and the keys derived from ours for Stripe.

- A key is 8-255 characters of ``[A-Za-z0-9_.:-]``; none -> ``IdempotencyKeyMissing``,
  anything else -> ``IdempotencyKeyInvalid`` (both 400). Errors never echo the key.
- A key is scoped to (caller, route, key): the same key from another caller or on
  another route is another key.
- Two requests are the same when their path, query parameters and body are; a JSON body
  is compared as JSON (key order and white space do not matter), any other body as text.
- A result is kept for ``REPLAY_WINDOW_SECONDS`` unless it asks the client to come back
  later (5xx, 408, 423, 429): then the client may retry with the same key.
- A Stripe key is a one-way, versioned digest of a scope naming the caller and the
  Stripe operation, and of our key: stable across retries, distinct per operation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from admitone.domain.errors import Conflict, DomainError, FieldError, ValidationFailed

KEY_HEADER = "Idempotency-Key"
MIN_KEY_LENGTH = 8
MAX_KEY_LENGTH = 255
REPLAY_WINDOW_SECONDS = 24 * 60 * 60
_KEY = re.compile(rf"[A-Za-z0-9_.:-]{{{MIN_KEY_LENGTH},{MAX_KEY_LENGTH}}}")
_KEY_RULE = f"{MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} characters of A-Z a-z 0-9 _ . : -"
_HEADER_FIELD = f"header.{KEY_HEADER}"

# Statuses that say "not now" rather than "this is the answer".
_RETRY_LATER = frozenset({408, 423, 429})
STRIPE_KEY_PREFIX = "admitone-v1-"


class IdempotencyKeyMissing(DomainError):
    """A money-moving POST came without an ``Idempotency-Key`` header."""

    code = "IDEMPOTENCY_KEY_MISSING"
    title = "An Idempotency-Key header is required"


class IdempotencyKeyInvalid(DomainError):
    """The ``Idempotency-Key`` header is not 8-255 characters of ``[A-Za-z0-9_.:-]``."""

    code = "IDEMPOTENCY_KEY_INVALID"
    title = "The Idempotency-Key header is not valid"


class IdempotencyKeyReused(ValidationFailed):
    """The key was already used by this caller on this route for a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"
    title = "The Idempotency-Key was used for a different request"


class DuplicateInProgress(Conflict):
    """A request with the same key is still running; retrying shortly gets its result."""

    code = "DUPLICATE_IN_PROGRESS"
    title = "A request with this Idempotency-Key is in progress"


def parse_idempotency_key(value: str | None) -> str:
    """The key from the header's value, or the 400 a client gets without a valid one."""
    if not value:
        raise IdempotencyKeyMissing(
            f"Send an {KEY_HEADER} header ({_KEY_RULE}) with this request.",
            errors=(FieldError(_HEADER_FIELD, "missing", "MISSING"),),
        )
    if not _KEY.fullmatch(value):
        raise IdempotencyKeyInvalid(
            f"The {KEY_HEADER} header must be {_KEY_RULE}.",
            errors=(FieldError(_HEADER_FIELD, _KEY_RULE, "PATTERN"),),
        )
    return value


def _canonical_body(body: str | None) -> Any:
    if body is None:
        return None
    try:
        return {"json": json.loads(body)}
    except ValueError:
        return {"text": body}


def request_fingerprint(*, path: str, query: Mapping[str, str], body: str | None) -> dict[str, Any]:
    """What must match for a retry to be "the same request" (hashed, never stored)."""
    return {"path": path, "query": dict(sorted(query.items())), "body": _canonical_body(body)}


def is_kept(status: int) -> bool:
    """Whether a response with ``status`` is stored and replayed for the key."""
    return status < 500 and status not in _RETRY_LATER


def stripe_idempotency_key(scope: str, key: str) -> str:
    """The ``Idempotency-Key`` for a Stripe call made on behalf of our ``key``.

    ``scope`` must name the caller and the Stripe operation (``IdempotencyScope.stripe_key``
    builds it): Stripe scopes keys to our whole account, so two buyers' keys, or two calls
    of one request, must not meet there. 76 characters; the key cannot be read back.
    """
    if not scope or not key:
        raise ValueError("a Stripe idempotency key needs a scope and a key")
    digest = hashlib.sha256(json.dumps([scope, key]).encode()).hexdigest()
    return STRIPE_KEY_PREFIX + digest


@dataclass(frozen=True)
class IdempotencyScope:
    """One client key in its scope: who sent it, on which route."""

    caller: str
    route: str
    key: str

    def stripe_key(self, operation: str) -> str:
        """The Stripe key for ``operation`` (e.g. ``payment_intent.create``) of this request."""
        if not operation:
            raise ValueError("name the Stripe operation")
        return stripe_idempotency_key(json.dumps([self.caller, self.route, operation]), self.key)
