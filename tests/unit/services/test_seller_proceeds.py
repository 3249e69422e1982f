"""A resale seller's proceeds on the fakes (RULES §13): pending after the release, moved
to payable once by the settlement of the event (however often it runs), and shown to the
seller per currency with the pending part by event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.keys import KeySet
from admitone.domain.ledger import BalanceMoved
from admitone.domain.resale import Escrow
from admitone.services import seller_proceeds
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.seller_proceeds import PendingProceeds, Proceeds, proceeds_of, settle_sellers
from tests.unit.services.kit import NOW, Shop, open_shop, signing_keys
from tests.unit.services.test_escrow_release import COOLING, FUNDED_AT, _funded, _shown

__all__ = ["signing_keys"]


@pytest.fixture(autouse=True)
def funding_keys(monkeypatch: pytest.MonkeyPatch, signing_keys: KeySet) -> None:
    monkeypatch.setattr("admitone.services.escrow_funding.load_keyset", lambda: signing_keys)


def _released(shop: Shop) -> Escrow:
    escrow = _funded(shop)
    released = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)
    assert released is Release.RELEASED
    return escrow


SETTLED_AT = NOW + timedelta(days=30)


def _seller(escrow: Escrow) -> Principal:
    return Principal(user_id=escrow.seller_id, roles=frozenset(), email="seller@example.com")


def test_released_proceeds_are_pending_then_payable_once_the_event_settles():
    shop = open_shop()
    escrow = _released(shop)
    event_id = shop.event.id
    assert proceeds_of(shop.store, _seller(escrow)) == [
        Proceeds(
            "USD", pending=12750, payable=0, pending_by_event=(PendingProceeds(event_id, 12750),)
        )
    ]

    assert settle_sellers(shop.ports, event_id, now=SETTLED_AT) == 1
    assert settle_sellers(shop.ports, event_id, now=SETTLED_AT) == 0

    assert _shown(shop, ledger.seller_pending(escrow.seller_id, event_id, "USD")) == 0
    assert _shown(shop, ledger.seller_payable(escrow.seller_id, "USD")) == 12750
    assert proceeds_of(shop.store, _seller(escrow)) == [
        Proceeds("USD", pending=0, payable=12750, pending_by_event=())
    ]
    assert f"seller_settlement:{event_id}:{escrow.seller_id}:USD" in shop.store.ledger.transactions
    assert sum(shop.store.ledger.balances.values()) == 0


def test_an_event_without_resales_settles_no_seller():
    shop = open_shop()
    assert settle_sellers(shop.ports, shop.event.id, now=SETTLED_AT) == 0
    assert shop.store.ledger.transactions == {}


def test_proceeds_that_moved_after_the_read_are_read_again(monkeypatch: pytest.MonkeyPatch):
    """The settlement holds the pending balance it read: the first commit finds it moved
    (another booking in between) and is refused; the second reads it again."""
    shop = open_shop()
    escrow = _released(shop)
    pending = ledger.seller_pending(escrow.seller_id, shop.event.id, "USD")
    reads: list[int] = []
    real = shop.store.ledger.balance

    def stale_once(account: ledger.Account) -> int:
        balance = real(account)
        reads.append(balance)
        return balance + 1 if account == pending and len(reads) == 1 else balance

    monkeypatch.setattr(shop.store.ledger, "balance", stale_once)

    assert settle_sellers(shop.ports, shop.event.id, now=SETTLED_AT) == 1
    assert len(reads) == 2
    assert _shown(shop, ledger.seller_payable(escrow.seller_id, "USD")) == 12750


def test_a_held_balance_that_moved_refuses_the_booking():
    shop = open_shop()
    escrow = _released(shop)
    pending = ledger.seller_pending(escrow.seller_id, shop.event.id, "USD")
    uow = shop.store.unit_of_work()
    uow.ledger.book(
        ledger.seller_settlement(escrow.seller_id, shop.event.id, "USD", 12750),
        now=SETTLED_AT,
        held={pending: 0},
    )
    with pytest.raises(BalanceMoved):
        uow.commit()
    assert seller_proceeds.proceeds_of(shop.store, _seller(escrow))[0].payable == 0
