"""What the payment provider tells us about a PaymentIntent or a refund."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from admitone.domain.orders import PaymentStatus


@dataclass(frozen=True)
class Intent:
    id: str
    status: PaymentStatus
    amount: int
    currency: str
    order_id: str | None
    client_secret: str
    error: str | None = None  # last_payment_error.message, when a card was declined
    escrow_id: str | None = None  # metadata.escrow_id: a resale purchase's PaymentIntent


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    metadata: Mapping[str, str]
