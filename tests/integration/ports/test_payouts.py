"""The payouts port, on the fake and on DynamoDB: a payout is created once with its
payee's day sum, which must still be the sum read; it reads back as written (a venue's
and a seller's, each in its payee's partition) and settles only from in_transit, so of
two runs settling one payout exactly one lands; a payout account reads back as linked.
The ledger's held balances refuse a booking once they moved, and a seller's accounts
are listed with their balances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain import ledger
from admitone.domain.errors import Conflict
from admitone.domain.ids import Prefix, new_id
from admitone.domain.ledger import BalanceMoved
from admitone.domain.payouts import (
    Payee,
    PayeeKind,
    Payout,
    PayoutAccount,
    PayoutDayMoved,
    PayoutMoved,
    PayoutStatus,
    payout_failed,
    payout_paid,
)
from admitone.ports.store import Store

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
DAY = "2026-12-02"


def _payout(payee: Payee, amount: int = 12_750) -> Payout:
    return Payout(
        id=new_id(Prefix.PAYOUT, now=NOW),
        payee=payee,
        currency="USD",
        amount=amount,
        fee=0,
        instant=False,
        status=PayoutStatus.IN_TRANSIT,
        requested_by=payee.id,
        created_at=NOW,
        arrives_by=NOW + timedelta(days=2),
    )


def _request(store: Store, payout: Payout, paid_today: int) -> None:
    uow = store.unit_of_work()
    uow.payouts.request(payout, day=DAY, paid_today=paid_today)
    uow.commit()


@pytest.mark.parametrize("kind", [PayeeKind.SELLER, PayeeKind.VENUE])
def test_a_payout_reads_back_and_counts_against_its_day(store: Store, kind: PayeeKind):
    payee = Payee(kind, new_id(Prefix.USER if kind is PayeeKind.SELLER else Prefix.VENUE))
    first, second = _payout(payee), _payout(payee, 10_000)

    _request(store, first, 0)
    with pytest.raises(PayoutDayMoved):
        _request(store, second, 0)  # the sum read is stale
    with pytest.raises(Conflict):
        _request(store, first, 12_750)  # its id exists
    _request(store, second, 12_750)

    assert store.payouts.get(payee, first.id) == first
    assert store.payouts.paid_out_on(payee, DAY, "USD") == 22_750
    assert store.payouts.paid_out_on(payee, DAY, "EUR") == 0
    assert {p.id for p in store.payouts.of_payee(payee)} == {first.id, second.id}
    other = Payee(kind, new_id(Prefix.USER))
    assert store.payouts.get(other, first.id) is None


def test_a_payout_settles_once_from_in_transit(store: Store):
    payee = Payee(PayeeKind.SELLER, new_id(Prefix.USER))
    payout = _payout(payee)
    _request(store, payout, 0)
    paid = payout_paid(payout, transfer_id="tr_1", now=NOW)

    uow = store.unit_of_work()
    uow.payouts.settle(payout, paid)
    uow.commit()
    late = store.unit_of_work()
    late.payouts.settle(payout, payout_failed(payout, reason="refused", now=NOW))
    with pytest.raises(PayoutMoved):
        late.commit()

    assert store.payouts.get(payee, payout.id) == paid


def test_a_payout_account_reads_back_as_linked(store: Store):
    payee = Payee(PayeeKind.VENUE, new_id(Prefix.VENUE))
    assert store.payouts.account(payee) is None
    account = PayoutAccount(payee=payee, account_id="acct_1", country="US", linked_at=NOW)
    store.payouts.link_account(account)
    replaced = PayoutAccount(payee=payee, account_id="acct_2", country="CA", linked_at=NOW)
    store.payouts.link_account(replaced)
    assert store.payouts.account(payee) == replaced


def test_held_balances_refuse_a_booking_once_they_moved(store: Store):
    seller, event = new_id(Prefix.USER), new_id(Prefix.EVENT)
    pending = ledger.seller_pending(seller, event, "USD")
    payable = ledger.seller_payable(seller, "USD")
    uow = store.unit_of_work()
    uow.ledger.book(ledger.seller_settlement(seller, event, "USD", -500), now=NOW)
    uow.commit()  # (a negative settlement: 500 pending, seen from the other side)
    assert store.ledger.balance(pending) == -500

    stale = store.unit_of_work()
    stale.ledger.book(ledger.seller_payout(seller, "USD", "pyo_x", 100), now=NOW, held={payable: 0})
    with pytest.raises(BalanceMoved):
        stale.commit()
    checked = store.unit_of_work()
    checked.ledger.book(
        ledger.seller_payout(seller, "USD", "pyo_y", 100),
        now=NOW,
        held={payable: 500, pending: 0},  # pending not moved: only checked
    )
    with pytest.raises(BalanceMoved):
        checked.commit()

    assert sorted(
        (account.kind.value, balance) for account, balance in store.ledger.seller_accounts(seller)
    ) == [("seller_payable", 500), ("seller_pending", -500)]
