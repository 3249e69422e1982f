"""The voucher change set: a redemption takes a use and budget only while both last and
the code is in its window; a refusal hands back the voucher as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from tests.integration.ports.given import NOW, a_voucher, voucher_now


def test_a_voucher_is_redeemed_as_often_as_it_has_uses(store: Store):
    voucher = a_voucher(store, max_uses=2)
    for _ in range(2):
        uow = store.unit_of_work()
        uow.vouchers.redeem(voucher, 1000, now=NOW)
        uow.commit()
    uow = store.unit_of_work()
    staged = uow.vouchers.redeem(voucher, 1000, now=NOW)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    as_was = refused.value.as_was(staged)
    assert as_was is not None
    assert (as_was.uses, as_was.spent_cents) == (2, 2000)
    assert voucher_now(store, voucher) == as_was


def test_a_redemption_past_the_budget_is_refused(store: Store):
    voucher = a_voucher(store, budget_cents=1500)
    uow = store.unit_of_work()
    uow.vouchers.redeem(voucher, 1000, now=NOW)
    uow.commit()
    uow = store.unit_of_work()
    staged = uow.vouchers.redeem(voucher, 1000, now=NOW)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    as_was = refused.value.as_was(staged)
    assert as_was is not None
    assert as_was.spent_cents == 1000


def test_a_redemption_outside_the_window_is_refused(store: Store):
    voucher = a_voucher(store, valid_to=NOW)
    uow = store.unit_of_work()
    uow.vouchers.redeem(voucher, 1000, now=NOW)
    with pytest.raises(ChangeRefused):
        uow.commit()
    early = store.unit_of_work()
    early.vouchers.redeem(voucher, 1000, now=NOW - timedelta(seconds=1))
    early.commit()


def test_a_use_given_back_can_be_redeemed_again_and_a_code_gone_is_none(store: Store):
    voucher = a_voucher(store, max_uses=1)
    uow = store.unit_of_work()
    uow.vouchers.redeem(voucher, 1000, now=NOW)
    uow.commit()
    back = store.unit_of_work()
    back.vouchers.give_back(voucher.event_id, voucher.code, 1000)
    back.commit()
    now = voucher_now(store, voucher)
    assert now is not None
    assert (now.uses, now.spent_cents) == (0, 0)

    missing = store.unit_of_work()
    staged = missing.vouchers.give_back(voucher.event_id, "NOSUCHCODE", 0)
    with pytest.raises(ChangeRefused) as refused:
        missing.commit()
    assert refused.value.as_was(staged) is None
