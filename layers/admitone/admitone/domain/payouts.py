"""A venue's money (RULES §10): its balances, the chargeback reserve, what it may be
paid, and the limits on payouts.

Contract:
- ``payable = available - max(0, required_reserve - reserved)``, never below zero.
- The required reserve is the venue's risk rate of its proceeds settled (made
  available) in the last ``RESERVE_WINDOW``: the sales whose chargebacks may still come.
  Payouts do not lower it, so paying out all that is payable leaves the whole reserve
  in the available balance (a rate of what is available now would shrink with every
  payout, to about 1 % after two).
- A payout is at least $100, at most the payable balance, and with the venue's other
  payouts of the same UTC day in the same currency at most $50,000. Every amount is
  in the payout's currency (100 EUR, 50,000 EUR): currencies never add up. An instant
  payout costs 1 % (half up), taken from the amount paid; a standard one is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from admitone.domain.errors import FieldError, ValidationFailed
from admitone.domain.money import format_money, percent_of


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


DEFAULT_RISK = RiskLevel.MEDIUM
RESERVE_BPS = {RiskLevel.LOW: 500, RiskLevel.MEDIUM: 1000, RiskLevel.HIGH: 2000}
PAYOUT_MINIMUM_CENTS = 10_000
PAYOUT_DAILY_LIMIT_CENTS = 5_000_000
INSTANT_FEE_BPS = 100
SETTLEMENT_DELAY = timedelta(hours=48)
# Card networks accept chargebacks for about 120 days after the charge.
RESERVE_WINDOW = timedelta(days=120)
STANDARD_ARRIVAL = timedelta(days=2)
INSTANT_ARRIVAL = timedelta(minutes=30)


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: int
    available: int
    reserved: int
    settled_recently: int  # proceeds settled within RESERVE_WINDOW
    risk: RiskLevel = DEFAULT_RISK

    @property
    def required_reserve(self) -> int:
        return percent_of(max(self.settled_recently, 0), RESERVE_BPS[self.risk])

    @property
    def payable(self) -> int:
        return max(0, self.available - max(0, self.required_reserve - self.reserved))


class PayoutBelowMinimum(ValidationFailed):
    code = "PAYOUT_BELOW_MINIMUM"


class PayoutExceedsPayable(ValidationFailed):
    code = "PAYOUT_EXCEEDS_PAYABLE"


class PayoutDailyLimit(ValidationFailed):
    code = "PAYOUT_DAILY_LIMIT"


def _refuse(error: type[ValidationFailed], detail: str, message: str) -> ValidationFailed:
    return error(detail, errors=(FieldError("amount_cents", message, error.code),))


def check_payout(amount: int, balance: Balance, *, paid_today: int) -> None:
    """Raise the first limit ``amount`` breaks (minimum, payable, daily)."""
    cur = balance.currency
    if amount < PAYOUT_MINIMUM_CENTS:
        minimum = format_money(PAYOUT_MINIMUM_CENTS, cur)
        raise _refuse(PayoutBelowMinimum, f"A payout is at least {minimum}.", f"at least {minimum}")
    if amount > balance.payable:
        payable = format_money(balance.payable, cur)
        raise _refuse(
            PayoutExceedsPayable, f"Only {payable} can be paid out now.", f"at most {payable}"
        )
    left = max(0, PAYOUT_DAILY_LIMIT_CENTS - paid_today)
    if amount > left:
        limit = format_money(PAYOUT_DAILY_LIMIT_CENTS, cur)
        raise _refuse(
            PayoutDailyLimit,
            f"At most {limit} per day is paid out; {format_money(left, cur)} is left today.",
            f"at most {format_money(left, cur)} today",
        )


def payout_fee(amount: int, *, instant: bool) -> int:
    return percent_of(amount, INSTANT_FEE_BPS) if instant else 0


def arrives_by(requested_at: datetime, *, instant: bool) -> datetime:
    return requested_at + (INSTANT_ARRIVAL if instant else STANDARD_ARRIVAL)


def payout_day(moment: datetime) -> str:
    """The UTC day a payout counts against (``YYYY-MM-DD``)."""
    return moment.astimezone(UTC).date().isoformat()


def settles_at(event_ends_at: datetime) -> datetime:
    return event_ends_at + SETTLEMENT_DELAY
