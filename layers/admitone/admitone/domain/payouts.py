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

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from admitone.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidTransition,
    ValidationFailed,
)
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


# ------------------------------------------------------- payouts that move money
class PayeeKind(StrEnum):
    VENUE = "venue"
    SELLER = "seller"  # a resale seller (RULES §13), paid their settled proceeds


@dataclass(frozen=True)
class Payee:
    """Who a payout pays: a venue, or a resale seller (a user)."""

    kind: PayeeKind
    id: str


class PayoutStatus(StrEnum):
    IN_TRANSIT = "in_transit"  # recorded, its money out of the balance; the transfer follows
    PAID = "paid"  # the Stripe transfer to the payee's connected account exists
    FAILED = "failed"  # Stripe refused it: the money is back in the balance


@dataclass(frozen=True)
class Payout:
    """A payout: ``amount`` left the payee's balance when it was requested; ``net``
    (``amount - fee``) is transferred to their connected account by the transfer job,
    under the payout's id as Stripe's idempotency key."""

    id: str
    payee: Payee
    currency: str
    amount: int
    fee: int
    instant: bool
    status: PayoutStatus
    requested_by: str
    created_at: datetime
    arrives_by: datetime
    transfer_id: str | None = None
    failure: str | None = None
    settled_at: datetime | None = None

    @property
    def net(self) -> int:
        return self.amount - self.fee


def payout_paid(payout: Payout, *, transfer_id: str, now: datetime) -> Payout:
    return replace(payout, status=PayoutStatus.PAID, transfer_id=transfer_id, settled_at=now)


def payout_failed(payout: Payout, *, reason: str, now: datetime) -> Payout:
    return replace(payout, status=PayoutStatus.FAILED, failure=reason[:200], settled_at=now)


@dataclass(frozen=True)
class PayoutAccount:
    """Where a payee's payouts go: their Stripe connected account."""

    payee: Payee
    account_id: str
    country: str
    linked_at: datetime


class PayoutMoved(InvalidTransition):
    """Another run settled the payout first."""

    code = "PAYOUT_MOVED"


class PayoutDayMoved(Conflict):
    """Another payout of the same day counted first: read the day's sum again."""

    code = "PAYOUT_DAY_MOVED"


class PayoutAccountMissing(Conflict):
    code = "PAYOUT_ACCOUNT_MISSING"


class PayoutAccountUnknown(ValidationFailed):
    """The account to link is not one of the platform's connected accounts."""

    code = "PAYOUT_ACCOUNT_UNKNOWN"


class TransferRefused(DomainError):
    """Stripe refused the transfer for good (an unknown account, one that may not
    receive transfers): retrying the same transfer cannot succeed."""

    code = "TRANSFER_REFUSED"
