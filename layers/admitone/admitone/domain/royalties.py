"""A venue's resale royalties as its ledger booked them (issue 19, RULES §13): each
released resale credits the venue's royalty (and the artist's), each reversal of one takes
it back, summed per event and in all over a range of days.

Contract:
- A range is whole UTC days, ``from`` to ``to`` inclusive, at most ``MAX_RANGE_DAYS``
  long, ``from`` not after ``to``, within what the system carries (422 naming the field).
- A booking counts in the range its ledger transaction was booked in: a resale released
  on day 1 and reversed on day 9 counts +royalty in a range holding day 1 and -royalty in
  one holding day 9; a range holding both nets to zero.
- Sums are per currency (an event sells in one): totals never add two currencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from admitone.domain.errors import FieldError, ValidationFailed
from admitone.domain.ledger import TransactionKind, artist_royalties, pending
from admitone.domain.moments import is_carried, out_of_range

MAX_RANGE_DAYS = 366
ROYALTY_KINDS = frozenset({TransactionKind.RESALE, TransactionKind.RESALE_REVERSED})


@dataclass(frozen=True)
class DayRange:
    """Whole UTC days, both ends included; ``since`` <= booked < ``until``."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last, time(), tzinfo=UTC) + timedelta(days=1)


def day_range(first: date, last: date) -> DayRange:
    """The range ``first``..``last``, or 422 naming ``from``/``to``."""
    errors: list[FieldError] = []
    for name, day in (("from", first), ("to", last)):
        moment = datetime.combine(day, time(), tzinfo=UTC)
        if not is_carried(moment) or not is_carried(moment + timedelta(days=1)):
            errors.append(out_of_range(name))
    if not errors and last < first:
        errors.append(FieldError("to", "must not be before from", "DATES_ORDER"))
    if not errors and (last - first).days + 1 > MAX_RANGE_DAYS:
        errors.append(
            FieldError("to", f"must be within {MAX_RANGE_DAYS} days of from", "RANGE_TOO_LONG")
        )
    if errors:
        raise ValidationFailed("The date range is not valid.", errors=tuple(errors))
    return DayRange(first, last)


@dataclass(frozen=True)
class RoyaltyBooking:
    """One ledger transaction's royalties for a venue, signed: a reversal is negative."""

    transaction_id: str
    event_id: str
    currency: str
    booked_at: datetime
    venue_royalty: int
    artist_royalty: int
    reversal: bool


def royalty_booking(
    *,
    transaction_id: str,
    kind: str,
    venue_id: str,
    currency: str,
    refs: Mapping[str, str],
    booked_at: datetime,
    entries: Iterable[tuple[str, int]],
) -> RoyaltyBooking | None:
    """The royalties a booked transaction (account id, amount debit positive) moved for the
    venue, or None when it is no resale or reversal of one."""
    if kind not in ROYALTY_KINDS or "event_id" not in refs:
        return None
    event_id = refs["event_id"]
    venue_account = pending(venue_id, event_id, currency).id
    artist_account = artist_royalties(currency).id
    amounts = list(entries)
    # Credits to the accounts are royalties earned: the sign turns.
    return RoyaltyBooking(
        transaction_id=transaction_id,
        event_id=event_id,
        currency=currency,
        booked_at=booked_at,
        venue_royalty=-sum(amount for account, amount in amounts if account == venue_account),
        artist_royalty=-sum(amount for account, amount in amounts if account == artist_account),
        reversal=kind == TransactionKind.RESALE_REVERSED,
    )


@dataclass(frozen=True)
class RoyaltySum:
    """Royalties summed over bookings: per event (``event_id``) or in all (None)."""

    event_id: str | None
    currency: str
    venue_royalty: int
    artist_royalty: int
    resales: int  # resales released in the range
    reversals: int  # resales reversed in the range


@dataclass(frozen=True)
class RoyaltyReport:
    by_event: tuple[RoyaltySum, ...]  # by event id, then currency
    totals: tuple[RoyaltySum, ...]  # one per currency


def report(bookings: Iterable[RoyaltyBooking]) -> RoyaltyReport:
    by_event: dict[tuple[str | None, str], RoyaltySum] = {}
    totals: dict[tuple[str | None, str], RoyaltySum] = {}
    for booking in bookings:
        for sums, key in ((by_event, booking.event_id), (totals, None)):
            _add(sums, key, booking)
    return RoyaltyReport(
        by_event=tuple(by_event[key] for key in sorted(by_event, key=lambda k: (k[0] or "", k[1]))),
        totals=tuple(totals[key] for key in sorted(totals, key=lambda k: k[1])),
    )


def _add(
    sums: dict[tuple[str | None, str], RoyaltySum], event_id: str | None, booking: RoyaltyBooking
) -> None:
    key = (event_id, booking.currency)
    was = sums.get(key) or RoyaltySum(event_id, booking.currency, 0, 0, 0, 0)
    sums[key] = RoyaltySum(
        event_id=event_id,
        currency=booking.currency,
        venue_royalty=was.venue_royalty + booking.venue_royalty,
        artist_royalty=was.artist_royalty + booking.artist_royalty,
        resales=was.resales + (0 if booking.reversal else 1),
        reversals=was.reversals + (1 if booking.reversal else 0),
    )
