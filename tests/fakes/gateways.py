"""The gateways in memory: what they were asked to do, and failures on demand.

``fail_next`` on each makes its next call(s) raise the error the real adapter raises
for an outage (``DependencyUnavailable``), so services' fault handling is tested
without a network.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.messages import EmailMessage
from admitone.domain.orders import Order, PaymentStatus
from admitone.domain.payments import Intent, ProviderRefund
from admitone.domain.payouts import Payee, TransferRefused
from admitone.domain.resale import Listing
from admitone.ports.bus import Bus
from admitone.ports.mail import Mail
from admitone.ports.payments import Payments
from admitone.ports.queues import Queues


class _Flaky:
    def __init__(self) -> None:
        self._failures: list[Exception] = []

    def fail_next(self, times: int = 1, error: Exception | None = None) -> None:
        failure = error or DependencyUnavailable(f"{type(self).__name__} is down")
        self._failures.extend([failure] * times)

    def _maybe_fail(self) -> None:
        if self._failures:
            raise self._failures.pop(0)


class FakeBus(_Flaky, Bus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, Mapping[str, Any]]] = []

    def publish(self, event_type: str, detail: Mapping[str, Any]) -> None:
        self._maybe_fail()
        self.published.append((event_type, detail))

    def probe(self) -> None:
        self._maybe_fail()


class FakeMail(_Flaky, Mail):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self._maybe_fail()
        self.sent.append(message)
        return f"fake-message-{len(self.sent)}"


class FakeQueues(_Flaky, Queues):
    def __init__(self) -> None:
        super().__init__()
        self.payment_events: dict[str, tuple[str, str]] = {}  # dedup id -> (group, body)
        self.cancellation_refunds: list[str] = []
        self.retries: list[tuple[str, timedelta]] = []
        self.mint_dead_letters: list[str] = []

    def send_payment_event(self, body: str, *, group_id: str, deduplication_id: str) -> None:
        self._maybe_fail()
        self.payment_events.setdefault(deduplication_id, (group_id, body))

    def continue_cancellation_refunds(self, event_id: str) -> None:
        self._maybe_fail()
        self.cancellation_refunds.append(event_id)

    def retry_message_in(self, queue_arn: str, receipt_handle: str, delay: timedelta) -> None:
        self.retries.append((receipt_handle, delay))

    def dead_letter_mint(self, body: str) -> None:
        self._maybe_fail()
        self.mint_dead_letters.append(body)


@dataclass
class _Refunds:
    by_key: dict[str, ProviderRefund] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)  # refund id -> amount


class FakePayments(_Flaky, Payments):
    """PaymentIntents that start ``requires_payment_method``; a test moves them on with
    ``settle`` (what a buyer's card and Stripe would do)."""

    def __init__(self) -> None:
        super().__init__()
        self.intents: dict[str, Intent] = {}
        self._by_key: dict[str, str] = {}
        self._refunds: dict[str, _Refunds] = {}
        self._ids = itertools.count(1)
        # Connect: account id -> may it receive transfers; idempotency key -> transfer.
        self.accounts: dict[str, bool] = {}
        self._accounts_by_key: dict[str, str] = {}
        self.transfers: dict[str, Transfer] = {}
        self._transfers_by_key: dict[str, str] = {}

    def settle(self, payment_intent_id: str, status: PaymentStatus) -> Intent:
        self.intents[payment_intent_id] = replace(self.intents[payment_intent_id], status=status)
        return self.intents[payment_intent_id]

    def create_payment_intent(self, order: Order, *, idempotency_key: str) -> Intent:
        return self._create(
            idempotency_key,
            amount=order.totals.total,
            currency=order.totals.currency,
            order_id=order.id,
        )

    def create_escrow_intent(
        self, escrow_id: str, listing: Listing, *, amount_cents: int, idempotency_key: str
    ) -> Intent:
        return self._create(
            idempotency_key, amount=amount_cents, currency=listing.currency, escrow_id=escrow_id
        )

    def _create(
        self,
        idempotency_key: str,
        *,
        amount: int,
        currency: str,
        order_id: str | None = None,
        escrow_id: str | None = None,
    ) -> Intent:
        self._maybe_fail()
        if idempotency_key in self._by_key:
            return self.intents[self._by_key[idempotency_key]]
        number = next(self._ids)
        intent = Intent(
            id=f"pi_fake{number}",
            status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
            amount=amount,
            currency=currency.lower(),
            order_id=order_id,
            client_secret=f"pi_fake{number}_secret_fake",
            escrow_id=escrow_id,
        )
        self.intents[intent.id] = intent
        self._by_key[idempotency_key] = intent.id
        return intent

    def retrieve_payment_intent(self, payment_intent_id: str) -> Intent:
        self._maybe_fail()
        return self.intents[payment_intent_id]

    def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> Intent:
        current = self.retrieve_payment_intent(payment_intent_id)
        if current.status is PaymentStatus.SUCCEEDED:
            return current
        if current.status is not PaymentStatus.REQUIRES_CAPTURE:
            raise ValueError(f"payment_intent_unexpected_state: {current.status}")
        return self.settle(payment_intent_id, PaymentStatus.SUCCEEDED)

    def cancel_payment_intent(self, payment_intent_id: str) -> bool:
        current = self.retrieve_payment_intent(payment_intent_id)
        if current.status in {PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING}:
            return False
        self.settle(payment_intent_id, PaymentStatus.CANCELED)
        return True

    def existing_refund(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> ProviderRefund | None:
        self._maybe_fail()
        return self._refunds.get(payment_intent_id, _Refunds()).by_key.get(idempotency_key)

    def refund_payment_intent(
        self,
        payment_intent_id: str,
        *,
        amount: int,
        reason: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        existing = self.existing_refund(payment_intent_id, idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        refunds = self._refunds.setdefault(payment_intent_id, _Refunds())
        refund = ProviderRefund(
            id=f"re_fake{next(self._ids)}",
            status="succeeded",
            metadata={**(metadata or {}), "reason": reason, "idempotency_key": idempotency_key},
        )
        refunds.by_key[idempotency_key] = refund
        refunds.amounts[refund.id] = amount
        return refund

    def refunded(self, payment_intent_id: str) -> int:
        """How much of the PaymentIntent was refunded, in cents."""
        return sum(self._refunds.get(payment_intent_id, _Refunds()).amounts.values())

    # ---------------------------------------------------------------- Connect
    def create_connected_account(
        self, payee: Payee, *, country: str, email: str, idempotency_key: str
    ) -> str:
        self._maybe_fail()
        if idempotency_key not in self._accounts_by_key:
            account_id = f"acct_fake{next(self._ids)}"
            self.accounts[account_id] = True
            self._accounts_by_key[idempotency_key] = account_id
        return self._accounts_by_key[idempotency_key]

    def connected_account_exists(self, account_id: str) -> bool:
        self._maybe_fail()
        return account_id in self.accounts

    def create_transfer(
        self,
        *,
        destination: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> str:
        self._maybe_fail()
        if idempotency_key in self._transfers_by_key:
            return self._transfers_by_key[idempotency_key]
        if not self.accounts.get(destination, False):
            raise TransferRefused(f"No such destination, or no transfers: {destination}")
        transfer_id = f"tr_fake{next(self._ids)}"
        self.transfers[transfer_id] = Transfer(destination, amount, currency, dict(metadata))
        self._transfers_by_key[idempotency_key] = transfer_id
        return transfer_id


@dataclass(frozen=True)
class Transfer:
    destination: str
    amount: int
    currency: str
    metadata: dict[str, str]
