"""Venue balances and payout limits (RULES §10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from admitone.domain.payouts import (
    Balance,
    PayoutBelowMinimum,
    PayoutDailyLimit,
    PayoutExceedsPayable,
    RiskLevel,
    arrives_by,
    check_payout,
    payout_day,
    payout_fee,
    settles_at,
)


@pytest.mark.parametrize(
    ("risk", "reserved", "payable"),
    [
        (RiskLevel.LOW, 0, 47_500),
        (RiskLevel.MEDIUM, 0, 45_000),  # the reference's worked example
        (RiskLevel.MEDIUM, 5_000, 50_000),
        (RiskLevel.MEDIUM, 9_000, 50_000),  # more reserved than required: no extra hold
        (RiskLevel.HIGH, 5_000, 45_000),
    ],
)
def test_payable_is_available_less_the_reserve_still_missing(risk, reserved, payable):
    assert Balance("USD", 0, 50_000, reserved, 50_000, risk).payable == payable


def test_the_reserve_is_a_share_of_recent_proceeds_so_payouts_do_not_shrink_it():
    full = Balance("USD", 0, 50_000, 0, settled_recently=50_000)
    assert (full.required_reserve, full.payable) == (5_000, 45_000)
    paid_out = Balance("USD", 0, 5_000, 0, settled_recently=50_000)  # after paying 45,000
    assert (paid_out.required_reserve, paid_out.payable) == (5_000, 0)


def test_a_negative_available_balance_pays_nothing():
    balance = Balance("USD", 0, -2_000, 700, settled_recently=0)
    assert balance.required_reserve == 0
    assert balance.payable == 0


def test_each_limit_is_refused_with_its_own_code():
    balance = Balance("USD", 0, 2_000_000, 0, 2_000_000)  # payable 1,800,000
    with pytest.raises(PayoutBelowMinimum):
        check_payout(9_999, balance, paid_today=0)
    with pytest.raises(PayoutExceedsPayable) as over:
        check_payout(1_800_001, balance, paid_today=0)
    assert "$18,000.00" in over.value.detail
    with pytest.raises(PayoutDailyLimit) as daily:
        check_payout(1_000_000, balance, paid_today=4_500_000)
    assert daily.value.errors[0].message == "at most $5,000.00 today"
    check_payout(10_000, balance, paid_today=4_990_000)  # the minimum, the last of the day


def test_instant_payouts_cost_one_percent_half_up_and_arrive_in_half_an_hour():
    now = datetime(2026, 11, 29, 23, 50, tzinfo=UTC)
    assert payout_fee(10_050, instant=True) == 101
    assert payout_fee(10_050, instant=False) == 0
    assert arrives_by(now, instant=True) == now + timedelta(minutes=30)
    assert arrives_by(now, instant=False) == now + timedelta(days=2)


def test_the_payout_day_is_the_utc_day_and_settlement_comes_48_hours_after_the_end():
    chicago_evening = datetime(2026, 11, 29, 20, 0, tzinfo=timezone(timedelta(hours=-6)))
    assert payout_day(chicago_evening) == "2026-11-30"
    assert settles_at(chicago_evening) == chicago_evening + timedelta(hours=48)
