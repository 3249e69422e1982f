"""PaymentIntents, refunds and Connect (connected accounts, transfers) through the one
Stripe client (adapters/stripe_api.py).

Every call that creates something carries an idempotency key derived from ours, so a
retried request or job never charges or refunds twice. Network failures, rate limits
and Stripe's own 5xx become ``DependencyUnavailable`` (503, retry later); a request
Stripe refuses as invalid is a bug on our side and is raised as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from admitone.adapters.stripe_api import stripe_client
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.orders import Order, PaymentStatus
from admitone.domain.payments import Intent, ProviderRefund
from admitone.domain.payouts import Payee, TransferRefused
from admitone.domain.resale import Listing
from admitone.ports.payments import Payments

# Final or in-flight: a PaymentIntent in one of these can no longer be cancelled.
_NOT_CANCELLABLE = {PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING}


def _intent(raw: Any) -> Intent:
    return intent_of(raw.to_dict())


def intent_of(payload: Mapping[str, Any]) -> Intent:
    """A PaymentIntent as Stripe sends it (an API answer or an event's object)."""
    metadata = payload.get("metadata") or {}
    error = payload.get("last_payment_error") or {}
    return Intent(
        id=str(payload["id"]),
        status=PaymentStatus(payload["status"]),
        amount=int(payload["amount"]),
        currency=str(payload["currency"]),
        order_id=metadata.get("order_id"),
        client_secret=payload.get("client_secret") or "",
        error=error.get("message") if isinstance(error, Mapping) else None,
        escrow_id=metadata.get("escrow_id"),
    )


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    import stripe  # noqa: PLC0415  (imported with the client, at first use)

    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise DependencyUnavailable("The payment provider is unavailable; try again.") from error


def _call[T](call: Callable[[], T]) -> T:
    with _unavailable_as_503():
        return call()


def create_payment_intent(order: Order, *, idempotency_key: str) -> Intent:
    """A PaymentIntent for the order's total, its id in ``metadata.order_id``."""
    params = {
        "amount": order.totals.total,
        "currency": order.totals.currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {
            "order_id": order.id,
            "order_number": order.number,
            "event_id": order.event_id,
        },
    }
    return _intent(
        _call(
            lambda: stripe_client().v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        )
    )


def create_escrow_intent(
    escrow_id: str, listing: Listing, *, amount_cents: int, idempotency_key: str
) -> Intent:
    """A manual-capture PaymentIntent for a resale purchase, the escrow's id in
    ``metadata.escrow_id``."""
    params = {
        "amount": amount_cents,
        "currency": listing.currency.lower(),
        "payment_method_types": ["card"],
        "capture_method": "manual",
        "metadata": {
            "escrow_id": escrow_id,
            "listing_id": listing.id,
            "event_id": listing.event_id,
        },
    }
    return _intent(
        _call(
            lambda: stripe_client().v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        )
    )


def retrieve_payment_intent(payment_intent_id: str) -> Intent:
    return _intent(
        _call(
            lambda: stripe_client().v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": ["latest_charge"]}
            )
        )
    )


def capture_payment_intent(payment_intent_id: str, *, idempotency_key: str) -> Intent:
    return _intent(
        _call(
            lambda: stripe_client().v1.payment_intents.capture(
                payment_intent_id, options={"idempotency_key": idempotency_key}
            )
        )
    )


def cancel_payment_intent(payment_intent_id: str) -> bool:
    """Cancel it so it can no longer be paid; False when it already succeeded or is
    processing (the payment is going through), True when it is (now) cancelled."""
    import stripe  # noqa: PLC0415

    current = retrieve_payment_intent(payment_intent_id)
    if current.status is PaymentStatus.CANCELED:
        return True
    if current.status in _NOT_CANCELLABLE:
        return False
    try:
        _call(lambda: stripe_client().v1.payment_intents.cancel(payment_intent_id))
    except stripe.InvalidRequestError:
        # It moved on between the read and the cancel: read again to say which way.
        return retrieve_payment_intent(payment_intent_id).status is PaymentStatus.CANCELED
    return True


def refund_of(payload: Mapping[str, Any]) -> ProviderRefund:
    """A refund as a webhook carries it."""
    metadata = payload.get("metadata") or {}
    return ProviderRefund(
        id=str(payload["id"]),
        status=str(payload.get("status") or "pending"),
        metadata={str(k): str(v) for k, v in dict(metadata).items()},
    )


def _refund(raw: Any) -> ProviderRefund:
    metadata = raw.metadata.to_dict() if raw.metadata else {}
    return ProviderRefund(id=str(raw.id), status=str(raw.status), metadata=metadata)


def existing_refund(payment_intent_id: str, *, idempotency_key: str) -> ProviderRefund | None:
    """The refund ``refund_payment_intent`` made with this key, if any."""
    found = _call(
        lambda: stripe_client().v1.refunds.list(
            params={"payment_intent": payment_intent_id, "limit": 100}
        )
    )
    for raw in found.data:
        refund = _refund(raw)
        if refund.metadata.get("idempotency_key") == idempotency_key:
            return refund
    return None


def refund_payment_intent(
    payment_intent_id: str,
    *,
    amount: int,
    reason: str,
    idempotency_key: str,
    metadata: Mapping[str, str] | None = None,
) -> ProviderRefund:
    """Refund ``amount`` of the PaymentIntent's charge once.

    ``reason`` is ours (kept in metadata with the key): Stripe accepts only its own
    three. A refund this key already made is found and returned rather than made again:
    the idempotency key alone would do on Stripe, but not every Stripe-compatible server
    honours it, and a refund made twice is money lost.
    """
    existing = existing_refund(payment_intent_id, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    refund = _call(
        lambda: stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "amount": amount,
                "metadata": {
                    **(metadata or {}),
                    "reason": reason,
                    "idempotency_key": idempotency_key,
                },
            },
            options={"idempotency_key": idempotency_key},
        )
    )
    return _refund(refund)


# Stripe's codes for a transfer it will never make as asked: the payout fails.
_TRANSFER_REFUSALS = frozenset(
    {
        "resource_missing",
        "insufficient_capabilities_for_transfer",
        "account_invalid",
        "transfers_not_allowed",
    }
)


def create_connected_account(
    payee: Payee, *, country: str, email: str, idempotency_key: str
) -> str:
    params = {
        "type": "express",
        "country": country,
        "email": email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"payee_kind": payee.kind.value, "payee_id": payee.id},
    }
    account = _call(
        lambda: stripe_client().v1.accounts.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    )
    return str(account.id)


def connected_account_exists(account_id: str) -> bool:
    import stripe  # noqa: PLC0415

    try:
        _call(lambda: stripe_client().v1.accounts.retrieve(account_id))
    except stripe.InvalidRequestError as error:
        if error.http_status == 404 or error.code == "resource_missing":
            return False
        raise
    return True


def create_transfer(
    *,
    destination: str,
    amount: int,
    currency: str,
    idempotency_key: str,
    metadata: Mapping[str, str],
) -> str:
    import stripe  # noqa: PLC0415

    params = {
        "amount": amount,
        "currency": currency.lower(),
        "destination": destination,
        "metadata": dict(metadata),
    }
    try:
        transfer = _call(
            lambda: stripe_client().v1.transfers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        )
    except stripe.InvalidRequestError as error:
        if error.code == "balance_insufficient":
            raise DependencyUnavailable("The platform's Stripe balance is short; later.") from error
        if error.code in _TRANSFER_REFUSALS:
            raise TransferRefused(f"Stripe refused the transfer: {error.code}") from error
        raise
    except stripe.PermissionError as error:
        raise TransferRefused("Stripe refused the transfer: not permitted") from error
    return str(transfer.id)


class StripePayments(Payments):
    def create_payment_intent(self, order: Order, *, idempotency_key: str) -> Intent:
        return create_payment_intent(order, idempotency_key=idempotency_key)

    def create_escrow_intent(
        self, escrow_id: str, listing: Listing, *, amount_cents: int, idempotency_key: str
    ) -> Intent:
        return create_escrow_intent(
            escrow_id, listing, amount_cents=amount_cents, idempotency_key=idempotency_key
        )

    def retrieve_payment_intent(self, payment_intent_id: str) -> Intent:
        return retrieve_payment_intent(payment_intent_id)

    def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> Intent:
        return capture_payment_intent(payment_intent_id, idempotency_key=idempotency_key)

    def cancel_payment_intent(self, payment_intent_id: str) -> bool:
        return cancel_payment_intent(payment_intent_id)

    def existing_refund(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> ProviderRefund | None:
        return existing_refund(payment_intent_id, idempotency_key=idempotency_key)

    def refund_payment_intent(
        self,
        payment_intent_id: str,
        *,
        amount: int,
        reason: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        return refund_payment_intent(
            payment_intent_id,
            amount=amount,
            reason=reason,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )

    def create_connected_account(
        self, payee: Payee, *, country: str, email: str, idempotency_key: str
    ) -> str:
        return create_connected_account(
            payee, country=country, email=email, idempotency_key=idempotency_key
        )

    def connected_account_exists(self, account_id: str) -> bool:
        return connected_account_exists(account_id)

    def create_transfer(
        self,
        *,
        destination: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> str:
        return create_transfer(
            destination=destination,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )
