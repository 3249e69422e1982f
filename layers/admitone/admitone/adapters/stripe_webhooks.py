"""Stripe webhook signatures: the SDK checks the HMAC (and staleness), the domain adds
the future bound. The secret comes from Secrets Manager; there is no "accept all"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitone.adapters.secrets import secret_json
from admitone.config import settings
from admitone.domain.stripe_events import (
    TOLERANCE_SECONDS,
    SignatureRejection,
    StripeEventMalformed,
    StripeSignatureInvalid,
    signed_timestamp,
    timestamp_rejection,
)


class WebhookSecretMissing(RuntimeError):
    """The Stripe secret has no ``webhook_secret``: a deployment fault. Every event is
    refused (5xx, so Stripe keeps it and retries) until the secret is set."""


@dataclass(frozen=True)
class SignedEvent:
    """A verified webhook: the body exactly as Stripe signed it, and its parsed event."""

    payload: str
    event: Mapping[str, Any]


def webhook_secret() -> str:
    value = secret_json(settings().stripe_secret_id).get("webhook_secret")
    if not isinstance(value, str) or not value.strip():
        raise WebhookSecretMissing("the Stripe secret holds no webhook_secret")
    return value


def _why_refused(text: str, header: str | None, secret: str) -> SignatureRejection:
    """Which check the SDK failed, for logs: a wrong secret (mismatch) and a clock or
    replay problem (stale) call for different people."""
    from stripe import SignatureVerificationError, WebhookSignature  # noqa: PLC0415

    if not header:
        return SignatureRejection.MISSING
    if signed_timestamp(header) is None:
        return SignatureRejection.MALFORMED
    try:
        WebhookSignature.verify_header(text, header, secret, tolerance=None)  # the HMAC alone
    except SignatureVerificationError:
        return SignatureRejection.MISMATCH
    return SignatureRejection.STALE


def verify(payload: bytes, signature_header: str | None, *, now: datetime) -> SignedEvent:
    """The event in ``payload`` if ``signature_header`` verifies within the tolerance.

    Raises ``StripeSignatureInvalid`` (400) and ``StripeEventMalformed`` (400: signed, but
    not an event). Without a configured secret it raises ``WebhookSecretMissing`` (500)
    before reading the request: never a 400, and never an acceptance.
    """
    from stripe import SignatureVerificationError, Webhook  # noqa: PLC0415  (cold-start cost)

    secret = webhook_secret()
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        # Stripe signs UTF-8 JSON: these cannot be the bytes it signed.
        raise StripeSignatureInvalid(SignatureRejection.MISMATCH) from None
    try:
        event = Webhook.construct_event(text, signature_header, secret, tolerance=TOLERANCE_SECONDS)
    except SignatureVerificationError:
        # from None: the SDK's exception carries the header and the body.
        raise StripeSignatureInvalid(_why_refused(text, signature_header, secret)) from None
    except (ValueError, AttributeError, TypeError):
        # Only after the HMAC matched: not JSON, not an object (the SDK calls .get on
        # it), or a thin v2 event notification.
        raise StripeEventMalformed("The body is not a Stripe event.") from None
    # The SDK refuses stale timestamps only; one too far in the future is refused here.
    rejection = timestamp_rejection(signature_header, now)
    if rejection is not None:
        raise StripeSignatureInvalid(rejection)
    return SignedEvent(payload=text, event=event.to_dict())
