"""The payment provider (Stripe): PaymentIntents, refunds, and Connect (connected
accounts and transfers to them).

Every call that creates something carries an idempotency key derived from ours, so a
retried request or job never charges or refunds twice. The provider being unreachable,
rate limiting or failing is ``DependencyUnavailable``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from admitone.domain.orders import Order
from admitone.domain.payments import Intent, ProviderRefund
from admitone.domain.payouts import Payee
from admitone.domain.resale import Listing


class Payments(ABC):
    @abstractmethod
    def create_payment_intent(self, order: Order, *, idempotency_key: str) -> Intent:
        """A PaymentIntent for the order's total, carrying the order's id."""

    @abstractmethod
    def create_escrow_intent(
        self, escrow_id: str, listing: Listing, *, amount_cents: int, idempotency_key: str
    ) -> Intent:
        """A manual-capture PaymentIntent of ``amount_cents`` for a purchase of
        ``listing``, carrying the escrow's id: the money is authorized, not charged,
        until it is captured."""

    @abstractmethod
    def retrieve_payment_intent(self, payment_intent_id: str) -> Intent: ...

    @abstractmethod
    def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> Intent:
        """Charge an authorized (``requires_capture``) PaymentIntent its whole amount."""

    @abstractmethod
    def cancel_payment_intent(self, payment_intent_id: str) -> bool:
        """Cancel it so it can no longer be paid; False when it already went through (or
        is going through) and can no longer be cancelled."""

    @abstractmethod
    def existing_refund(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> ProviderRefund | None:
        """The refund ``refund_payment_intent`` made with this key, if any."""

    @abstractmethod
    def refund_payment_intent(
        self,
        payment_intent_id: str,
        *,
        amount: int,
        reason: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        """Refund ``amount`` of the PaymentIntent's charge, once per key."""

    @abstractmethod
    def create_connected_account(
        self, payee: Payee, *, country: str, email: str, idempotency_key: str
    ) -> str:
        """A connected account (Express) able to receive transfers, for ``payee``; its
        id."""

    @abstractmethod
    def connected_account_exists(self, account_id: str) -> bool:
        """Whether ``account_id`` is one of the platform's connected accounts."""

    @abstractmethod
    def create_transfer(
        self,
        *,
        destination: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> str:
        """Transfer ``amount`` to the connected account ``destination``, once per key;
        the transfer's id. ``TransferRefused`` when Stripe refuses it for good."""
