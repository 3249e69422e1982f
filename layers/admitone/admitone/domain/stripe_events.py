"""Stripe webhook events at the door (RULES §6): which types we act on, the FIFO group
an event is ordered in, and the window its signed timestamp must fall in.

Contract:
- The HMAC is the SDK's job (adapters/stripe_webhooks.py); this module only judges what
  a verified event says. The signed timestamp must lie within ``TOLERANCE_SECONDS`` of
  now in BOTH directions: the SDK refuses stale ones only, a future one is a replay
  prepared in advance or a broken clock, and is refused here.
- Handled types are enqueued; every other type is recorded and acknowledged, never
  processed.
- Events about one PaymentIntent share a FIFO group: the PaymentIntent id, which charge,
  refund and dispute objects carry as ``payment_intent``. Without one, the object's own
  id, and without that the event id (ordered alone, but never dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from admitone.domain.errors import DomainError

TOLERANCE_SECONDS = 300
# Dedupe window: Stripe keeps (and may resend) an event for 30 days.
RETENTION_SECONDS = 30 * 24 * 60 * 60

HANDLED_TYPES = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
        "payment_intent.amount_capturable_updated",
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
    }
)
_PAYMENT_INTENT_EVENT = "payment_intent."


class SignatureRejection(StrEnum):
    """Why a webhook was refused: for logs and metrics, never for the response."""

    MISSING = "missing"
    MALFORMED = "malformed"
    MISMATCH = "mismatch"
    STALE = "stale"
    FUTURE = "future"


class StripeSignatureInvalid(DomainError):
    """The ``Stripe-Signature`` header is absent, does not verify, or is out of tolerance.

    ``reason`` (a ``SignatureRejection``) goes to logs; ``detail`` stays generic.
    """

    code = "STRIPE_SIGNATURE_INVALID"
    title = "The Stripe signature is not valid"

    def __init__(
        self, reason: SignatureRejection, detail: str = "The Stripe-Signature does not verify."
    ) -> None:
        super().__init__(detail)
        self.reason = reason


class StripeEventMalformed(DomainError):
    """A correctly signed body that is not a Stripe event (no id, no type, no object)."""

    code = "STRIPE_EVENT_MALFORMED"
    title = "The body is not a Stripe event"


@dataclass(frozen=True)
class ReceivedEvent:
    """What intake needs of a verified event; ``group_id`` is None for unhandled types."""

    event_id: str
    event_type: str
    group_id: str | None

    @property
    def handled(self) -> bool:
        return self.group_id is not None


@dataclass(frozen=True)
class InboxItem:
    """A Stripe event as the inbox keeps it: the body exactly as Stripe signed it, and
    for a handled one its FIFO group and whether the queue has it."""

    event_id: str
    event_type: str
    handled: bool
    group_id: str | None
    payload: str
    enqueued: bool


@dataclass(frozen=True)
class Recorded:
    """The inbox item of an event, and whether this delivery wrote it."""

    item: InboxItem
    first_delivery: bool


def is_handled(event_type: str) -> bool:
    return event_type in HANDLED_TYPES


def signed_timestamp(header: str) -> int | None:
    """The header's first ``t=`` value, read as stripe-python reads it, or None."""
    for element in header.split(","):
        parts = element.split("=", 2)
        if parts[0] == "t":
            try:
                return int(parts[1])
            except (IndexError, ValueError):
                return None
    return None


def timestamp_rejection(header: str | None, now: datetime) -> SignatureRejection | None:
    """What is wrong with the header's timestamp at ``now`` (aware), or None if nothing."""
    if not header:
        return SignatureRejection.MISSING
    signed_at = signed_timestamp(header)
    if signed_at is None:
        return SignatureRejection.MALFORMED
    if signed_at < now.timestamp() - TOLERANCE_SECONDS:
        return SignatureRejection.STALE
    if signed_at > now.timestamp() + TOLERANCE_SECONDS:
        return SignatureRejection.FUTURE
    return None


def _id_of(value: Any) -> str | None:
    """An id given as a string or as an expanded object with an ``id``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def group_id(event_id: str, event_type: str, data_object: Mapping[str, Any]) -> str:
    """The FIFO group of a handled event: the PaymentIntent it is about."""
    # A PaymentIntent event's object is the PaymentIntent itself; charges, refunds and
    # disputes point at theirs.
    payment_intent = (
        None
        if event_type.startswith(_PAYMENT_INTENT_EVENT)
        else _id_of(data_object.get("payment_intent"))
    )
    return payment_intent or _id_of(data_object) or event_id


def read_event(event: Mapping[str, Any]) -> ReceivedEvent:
    """The parts of a verified event intake uses; ``StripeEventMalformed`` if absent."""
    event_id, event_type = event.get("id"), event.get("type")
    data = event.get("data")
    data_object = data.get("object") if isinstance(data, Mapping) else None
    if not (
        isinstance(event_id, str)
        and event_id
        and isinstance(event_type, str)
        and event_type
        and isinstance(data_object, Mapping)
    ):
        raise StripeEventMalformed("The body is not a Stripe event.")
    return ReceivedEvent(
        event_id=event_id,
        event_type=event_type,
        group_id=group_id(event_id, event_type, data_object) if is_handled(event_type) else None,
    )
