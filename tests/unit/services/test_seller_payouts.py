"""A resale seller's payouts on the fakes (issue 19): a payout account first; a payout of
payable proceeds within the RULES §10 minimum and daily limit is recorded with its
booking and a payout.requested item, then the transfer job moves it to the seller's
connected account once, under the payout's id, even when it crashed after Stripe made
the transfer; a transfer Stripe refuses fails the payout and puts the money back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.keys import KeySet
from admitone.domain.payouts import (
    Payee,
    PayeeKind,
    PayoutAccountMissing,
    PayoutAccountUnknown,
    PayoutBelowMinimum,
    PayoutDailyLimit,
    PayoutExceedsPayable,
    PayoutStatus,
)
from admitone.services import payout_transfers
from admitone.services.payout_accounts import link_payout_account
from admitone.services.payout_requests import request_seller_payout
from admitone.services.payout_transfers import Transferred, transfer_payout
from admitone.services.seller_proceeds import settle_sellers
from tests.unit.services.kit import NOW, Shop, open_shop, signing_keys
from tests.unit.services.test_seller_proceeds import SETTLED_AT, _released, _seller

__all__ = ["signing_keys"]

LATER = SETTLED_AT + timedelta(hours=1)


@pytest.fixture(autouse=True)
def funding_keys(monkeypatch: pytest.MonkeyPatch, signing_keys: KeySet) -> None:
    monkeypatch.setattr("admitone.services.escrow_funding.load_keyset", lambda: signing_keys)


def _payable_seller(shop: Shop, *, account: bool = True) -> Principal:
    """A seller with 12750 payable (a 15000 resale, its event settled)."""
    escrow = _released(shop)
    assert settle_sellers(shop.ports, shop.event.id, now=SETTLED_AT) == 1
    seller = _seller(escrow)
    if account:
        link_payout_account(shop.ports, _payee(seller), email=seller.email, country="US", now=NOW)
    return seller


def _payee(seller: Principal) -> Payee:
    return Payee(PayeeKind.SELLER, seller.user_id)


def _payable(shop: Shop, seller: Principal) -> int:
    account = ledger.seller_payable(seller.user_id, "USD")
    return account.shown(shop.store.ledger.balance(account))


def test_a_payout_needs_a_payout_account():
    shop = open_shop()
    seller = _payable_seller(shop, account=False)
    with pytest.raises(PayoutAccountMissing):
        request_seller_payout(shop.ports, seller, amount=10_000, now=LATER)
    assert _payable(shop, seller) == 12750


def test_linking_an_account_stripe_does_not_know_is_refused():
    shop = open_shop()
    seller = _payable_seller(shop, account=False)
    with pytest.raises(PayoutAccountUnknown):
        link_payout_account(
            shop.ports, _payee(seller), email=seller.email, account_id="acct_nobody", now=NOW
        )
    made = link_payout_account(shop.ports, _payee(seller), email=seller.email, now=NOW)
    again = link_payout_account(shop.ports, _payee(seller), email=seller.email, now=NOW)
    assert made.account_id == again.account_id  # one account per payee and country
    linked = link_payout_account(
        shop.ports, _payee(seller), email=seller.email, account_id=made.account_id, now=NOW
    )
    assert shop.store.payouts.account(_payee(seller)) == linked


def test_the_limits_apply_to_sellers_as_to_venues():
    shop = open_shop()
    seller = _payable_seller(shop)
    with pytest.raises(PayoutBelowMinimum):
        request_seller_payout(shop.ports, seller, amount=9_999, now=LATER)
    with pytest.raises(PayoutExceedsPayable):
        request_seller_payout(shop.ports, seller, amount=12_751, now=LATER)
    shop.store.payouts.days[(_payee(seller), LATER.date().isoformat(), "USD")] = 4_990_000
    with pytest.raises(PayoutDailyLimit):
        request_seller_payout(shop.ports, seller, amount=10_001, now=LATER)


def test_a_payout_is_recorded_then_transferred_once():
    shop = open_shop()
    seller = _payable_seller(shop)

    payout = request_seller_payout(shop.ports, seller, amount=12_750, now=LATER)

    assert (payout.status, payout.amount, payout.fee) == (PayoutStatus.IN_TRANSIT, 12_750, 0)
    assert _payable(shop, seller) == 0
    (requested,) = [
        item
        for item in shop.store.outbox.pending(limit=100)
        if item.event_type == "payout.requested"
    ]
    assert requested.detail["data"] == {
        "payout_id": payout.id,
        "payee_kind": "seller",
        "payee_id": seller.user_id,
    }
    assert transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER) is Transferred.PAID
    assert transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER) is (
        Transferred.UNCHANGED
    )
    paid = shop.store.payouts.get(_payee(seller), payout.id)
    assert paid is not None
    assert paid.status is PayoutStatus.PAID
    (transfer,) = shop.payments.transfers.values()
    assert paid.transfer_id in shop.payments.transfers
    account = shop.store.payouts.account(_payee(seller))
    assert account is not None
    assert (transfer.destination, transfer.amount, transfer.currency) == (
        account.account_id,
        12_750,
        "USD",
    )
    assert sum(shop.store.ledger.balances.values()) == 0


def test_a_run_that_crashed_after_stripe_transferred_transfers_once_when_run_again(
    monkeypatch: pytest.MonkeyPatch,
):
    shop = open_shop()
    seller = _payable_seller(shop)
    payout = request_seller_payout(shop.ports, seller, amount=10_000, now=LATER)

    def crash(*_: object, **__: object) -> None:
        raise DependencyUnavailable("the store went away")

    with monkeypatch.context() as patched:
        patched.setattr(payout_transfers, "payout_paid", crash)
        with pytest.raises(DependencyUnavailable):
            transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER)
    assert len(shop.payments.transfers) == 1  # Stripe made it; the payout still in transit

    assert transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER) is Transferred.PAID
    assert len(shop.payments.transfers) == 1
    assert _payable(shop, seller) == 2_750


def test_a_transfer_stripe_refuses_fails_the_payout_and_puts_the_money_back():
    shop = open_shop()
    seller = _payable_seller(shop)
    account = shop.store.payouts.account(_payee(seller))
    assert account is not None
    shop.payments.accounts[account.account_id] = False  # may not receive transfers
    payout = request_seller_payout(shop.ports, seller, amount=12_750, now=LATER)
    assert _payable(shop, seller) == 0

    outcome = transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER)

    assert outcome is Transferred.FAILED
    failed = shop.store.payouts.get(_payee(seller), payout.id)
    assert failed is not None
    assert failed.status is PayoutStatus.FAILED
    assert failed.failure
    assert _payable(shop, seller) == 12_750
    assert shop.payments.transfers == {}
    assert f"seller_payout_failed:{payout.id}" in shop.store.ledger.transactions
    assert sum(shop.store.ledger.balances.values()) == 0
    assert transfer_payout(shop.ports, _payee(seller), payout.id, now=LATER) is (
        Transferred.UNCHANGED
    )


def test_an_unknown_payout_is_left_alone():
    shop = open_shop()
    seller = _payable_seller(shop)
    assert transfer_payout(shop.ports, _payee(seller), "pyo_nothing", now=LATER) is (
        Transferred.UNCHANGED
    )
