"""The catalog: venues, events, ticket types, capacity pools and vouchers, with the
rules that keep them consistent (ordered dates, real time zones, supported
currencies, bounded prices and capacities) and the event state machine.

Dates (RULES §4): an event starts ahead, within ``EVENT_START_HORIZON`` (five years, well
inside what its tickets' tokens can carry), and lasts at most ``MAX_EVENT_LENGTH`` (a
festival ``MAX_FESTIVAL_LENGTH``); every other date is bounded by the event's or by what
the system carries (domain/moments.py).

Event states: draft -> published -> (cancelled | completed); a draft may also be
cancelled. Which fields may change depends on the state (EDITABLE_WHEN).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

from admitone.domain.errors import (
    EventAlreadyEnded,
    FieldError,
    InvalidTransition,
    ValidationFailed,
)
from admitone.domain.moments import is_carried, out_of_range
from admitone.domain.money import MAX_AMOUNT_CENTS, Currency
from admitone.domain.pricing import FeeTier

MAX_CAPACITY = 1_000_000
MAX_SHARDS = 16
MAX_SCANS = 100
DEFAULT_MAX_PER_ORDER = 4  # RULES §4
MAX_PER_ORDER = 10  # RULES §4: quantity per line 1-10
DEFAULT_HOLD_MINUTES = 15
HOLD_MINUTES_RANGE = (5, 30)
DEFAULT_REGISTRATION_LEAD = timedelta(days=7)  # RULES §15: start - 7 days
EVENT_START_HORIZON = timedelta(days=1826)  # RULES §4: the next five years, leap days included
MAX_EVENT_LENGTH = timedelta(days=7)  # RULES §4
MAX_FESTIVAL_LENGTH = timedelta(days=30)  # RULES §4: multi-day festivals say so (category)
DEFAULT_RESALE_MIN_PCT, DEFAULT_RESALE_MAX_PCT = 50, 150  # RULES §13
DEFAULT_VENUE_ROYALTY_BPS, DEFAULT_ARTIST_ROYALTY_BPS = 1_000, 0  # RULES §13
# A royalty takes at most half of a resale's price, and so do both together: with the
# platform's 5 % the seller always keeps at least 45 %, whichever venue and event rates
# combine (an event's rates replace the venue's as a pair, so no mix can exceed it).
MAX_ROYALTY_BPS = 5_000
# A voucher code as a client may send it: 3-32 letters (either case), digits, - or _,
# starting with a letter or digit, padding ignored. The request schemas publish this
# very pattern, so the contract and the check cannot drift apart.
VOUCHER_CODE_PATTERN = r"^\s{0,16}[A-Za-z0-9][A-Za-z0-9_-]{2,31}\s{0,16}$"
_VOUCHER_CODE = re.compile(VOUCHER_CODE_PATTERN)


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Category(StrEnum):
    MUSIC = "music"
    SPORTS = "sports"
    THEATRE = "theatre"
    COMEDY = "comedy"
    CONFERENCE = "conference"
    FESTIVAL = "festival"
    FAMILY = "family"
    OTHER = "other"


class VoucherKind(StrEnum):
    PERCENT = "percent"  # value in basis points off
    FIXED = "fixed"  # value in cents off
    ACCESS = "access"  # unlocks hidden ticket types, no discount


TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.PUBLISHED: frozenset({EventStatus.CANCELLED, EventStatus.COMPLETED}),
    EventStatus.CANCELLED: frozenset(),
    EventStatus.COMPLETED: frozenset(),
}

_ALL_EVENT_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "starts_at",
        "ends_at",
        "sales_start",
        "sales_end",
        "registration_deadline",
        "hold_minutes",
        "high_demand",
        "nft_enabled",
        "resale",
    }
)
# Once on sale, what buyers relied on when paying (dates, NFT minting, holds) is fixed.
EDITABLE_WHEN: dict[EventStatus, frozenset[str]] = {
    EventStatus.DRAFT: _ALL_EVENT_FIELDS,
    EventStatus.PUBLISHED: frozenset(
        {"title", "description", "category", "sales_end", "high_demand", "resale"}
    ),
    EventStatus.CANCELLED: frozenset(),
    EventStatus.COMPLETED: frozenset(),
}


def require_transition(current: EventStatus, target: EventStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"An event that is {current.value} cannot become {target.value}.")


def check_cancellable(ends_at: datetime, *, now: datetime) -> None:
    """Cancelling refunds every ticket in full, admitted ones too: only until the event
    ends. After that its tickets were used and its money is on its way to the venue
    (RULES §10); an organizer refunds by amount instead."""
    if now >= ends_at:
        raise EventAlreadyEnded(
            "The event has ended; it cannot be cancelled. Refund orders by amount instead."
        )


def require_editable(status: EventStatus, fields: set[str]) -> None:
    frozen = sorted(fields - EDITABLE_WHEN[status])
    if frozen:
        raise InvalidTransition(
            f"These fields cannot change while the event is {status.value}.",
            errors=tuple(
                FieldError(name, f"frozen while {status.value}", "FROZEN") for name in frozen
            ),
        )


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    state: str | None = None
    line2: str | None = None


def normalize_city(city: str) -> str:
    """The form a city is searched by: case- and space-insensitive."""
    return " ".join(city.split()).casefold()


@dataclass(frozen=True)
class RoyaltyRates:
    """The royalties taken from a resale's price (RULES §13), in basis points: the
    venue's and the artist's. A venue sets its own (default 10 % / 0 %); an event's
    replace the venue's for that event."""

    venue_bps: int = DEFAULT_VENUE_ROYALTY_BPS
    artist_bps: int = DEFAULT_ARTIST_ROYALTY_BPS


def check_royalty_rates(rates: RoyaltyRates, field_name: str) -> None:
    """Each rate 0..``MAX_ROYALTY_BPS``, and both together no more (422 naming the field)."""
    problems = _Problems()
    for name, bps in (("venue_bps", rates.venue_bps), ("artist_bps", rates.artist_bps)):
        problems.check(
            0 <= bps <= MAX_ROYALTY_BPS,
            f"{field_name}.{name}",
            f"must be 0 to {MAX_ROYALTY_BPS} basis points",
            "ROYALTY_OUT_OF_RANGE",
        )
    problems.check(
        rates.venue_bps + rates.artist_bps <= MAX_ROYALTY_BPS,
        field_name,
        f"venue_bps + artist_bps must be at most {MAX_ROYALTY_BPS} basis points",
        "ROYALTY_OUT_OF_RANGE",
    )
    problems.raise_if_any("The resale royalties are out of range.")


@dataclass(frozen=True)
class Venue:
    id: str
    owner_id: str
    name: str
    address: Address
    timezone: str
    created_at: datetime
    fee_tier: FeeTier | None = None  # pinned by an admin; None = by trailing volume
    royalties: RoyaltyRates = field(default_factory=RoyaltyRates)


@dataclass(frozen=True)
class ResalePolicy:
    allowed: bool = True
    min_pct: int = DEFAULT_RESALE_MIN_PCT
    max_pct: int = DEFAULT_RESALE_MAX_PCT
    royalties: RoyaltyRates | None = None  # None: the venue's


@dataclass(frozen=True)
class Event:
    id: str
    venue_id: str
    owner_id: str
    title: str
    description: str
    category: Category
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str
    currency: Currency
    sales_start: datetime
    sales_end: datetime
    registration_deadline: datetime
    created_at: datetime
    status: EventStatus = EventStatus.DRAFT
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    high_demand: bool = False
    nft_enabled: bool = False
    resale: ResalePolicy = field(default_factory=ResalePolicy)


@dataclass(frozen=True)
class TicketType:
    id: str
    event_id: str
    name: str
    price_cents: int
    currency: Currency
    capacity: int
    max_per_order: int = DEFAULT_MAX_PER_ORDER
    max_scans: int = 1
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    hidden: bool = False
    shards: int = 1
    pool_id: str | None = None


@dataclass(frozen=True)
class CapacityPool:
    id: str
    event_id: str
    name: str
    capacity: int
    shards: int = 1


@dataclass(frozen=True)
class Voucher:
    event_id: str
    code: str
    kind: VoucherKind
    value: int
    max_uses: int | None = None
    budget_cents: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    ticket_type_ids: tuple[str, ...] = ()
    uses: int = 0
    spent_cents: int = 0


# ------------------------------------------------------------------ validation
class _Problems:
    """Collects every violation, so a client learns all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def check(self, ok: bool, field_name: str, message: str, code: str = "INVALID") -> None:
        if not ok:
            self.errors.append(FieldError(field_name, message, code))

    def check_carried(self, moments: Mapping[str, datetime | None]) -> None:
        self.errors.extend(
            out_of_range(name)
            for name, moment in moments.items()
            if moment is not None and not is_carried(moment)
        )

    def raise_if_any(self, detail: str) -> None:
        if self.errors:
            raise ValidationFailed(detail, errors=tuple(self.errors))


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str, field_name: str = "timezone") -> None:
    if name not in _zones():
        raise ValidationFailed(
            "Unknown time zone.",
            errors=(FieldError(field_name, "not an IANA time zone name", "TIMEZONE_INVALID"),),
        )


def check_event_start(starts_at: datetime, *, now: datetime) -> None:
    """An event is created, moved or published only to start ahead, within the horizon."""
    problems = _Problems()
    problems.check(now < starts_at, "starts_at", "must be in the future", "DATE_PASSED")
    problems.check(
        starts_at <= now + EVENT_START_HORIZON,
        "starts_at",
        f"must be within {EVENT_START_HORIZON.days} days (five years) from now",
        "DATE_TOO_FAR",
    )
    problems.raise_if_any("The event must start ahead, within the next five years.")


def check_event_schedule(
    *,
    category: Category,
    starts_at: datetime,
    ends_at: datetime,
    sales_start: datetime,
    sales_end: datetime,
    registration_deadline: datetime,
    hold_minutes: int,
    resale: ResalePolicy,
) -> None:
    problems = _Problems()
    moments = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "sales_start": sales_start,
        "sales_end": sales_end,
        "registration_deadline": registration_deadline,
    }
    for name, moment in moments.items():
        problems.check(moment.tzinfo is not None, name, "needs a UTC offset (e.g. Z)")
    problems.raise_if_any("Times must carry their UTC offset.")
    problems.check_carried(moments)
    problems.raise_if_any("Some times are out of the range the system can keep.")
    problems.check(starts_at < ends_at, "ends_at", "must be after starts_at", "DATES_ORDER")
    festival = category is Category.FESTIVAL
    problems.check(
        ends_at - starts_at <= (MAX_FESTIVAL_LENGTH if festival else MAX_EVENT_LENGTH),
        "ends_at",
        f"must be within {MAX_FESTIVAL_LENGTH.days} days of starts_at"
        if festival
        else f"must be within {MAX_EVENT_LENGTH.days} days of starts_at"
        f" ({MAX_FESTIVAL_LENGTH.days} for a festival)",
        "EVENT_TOO_LONG",
    )
    problems.check(sales_start < sales_end, "sales_end", "must be after sales_start", "DATES_ORDER")
    problems.check(sales_end <= ends_at, "sales_end", "must not be after ends_at", "DATES_ORDER")
    problems.check(
        registration_deadline <= ends_at,
        "registration_deadline",
        "must not be after ends_at",
        "DATES_ORDER",
    )
    low, high = HOLD_MINUTES_RANGE
    problems.check(
        low <= hold_minutes <= high, "hold_minutes", f"must be {low} to {high}", "OUT_OF_RANGE"
    )
    problems.check(
        0 < resale.min_pct <= resale.max_pct <= 1000,
        "resale",
        "needs 0 < min_pct <= max_pct <= 1000",
        "OUT_OF_RANGE",
    )
    problems.raise_if_any("The event's dates or settings are not consistent.")
    if resale.royalties is not None:
        check_royalty_rates(resale.royalties, "resale.royalties")


def check_ticket_type(ticket_type: TicketType, event: Event) -> None:
    problems = _Problems()
    problems.check(
        0 <= ticket_type.price_cents <= MAX_AMOUNT_CENTS,
        "price_cents",
        f"must be 0 to {MAX_AMOUNT_CENTS}",
        "OUT_OF_RANGE",
    )
    problems.check(
        ticket_type.currency == event.currency,
        "currency",
        f"the event sells in {event.currency.value}",
        "CURRENCY_MISMATCH",
    )
    problems.check(
        1 <= ticket_type.capacity <= MAX_CAPACITY,
        "capacity",
        f"must be 1 to {MAX_CAPACITY}",
        "OUT_OF_RANGE",
    )
    problems.check(
        1 <= ticket_type.max_per_order <= MAX_PER_ORDER,
        "max_per_order",
        f"must be 1 to {MAX_PER_ORDER}",
        "OUT_OF_RANGE",
    )
    problems.check(
        1 <= ticket_type.max_scans <= MAX_SCANS,
        "max_scans",
        f"must be 1 to {MAX_SCANS}",
        "OUT_OF_RANGE",
    )
    problems.check(
        1 <= ticket_type.shards <= MAX_SHARDS,
        "shards",
        f"must be 1 to {MAX_SHARDS}",
        "OUT_OF_RANGE",
    )
    problems.check(
        ticket_type.shards <= ticket_type.capacity,
        "shards",
        "cannot exceed the capacity",
        "OUT_OF_RANGE",
    )
    problems.check_carried(
        {"sales_start": ticket_type.sales_start, "sales_end": ticket_type.sales_end}
    )
    start = ticket_type.sales_start or event.sales_start
    end = ticket_type.sales_end or event.sales_end
    problems.check(start < end, "sales_end", "must be after sales_start", "DATES_ORDER")
    problems.check(
        end <= event.ends_at, "sales_end", "must not be after the event ends", "DATES_ORDER"
    )
    problems.raise_if_any("The ticket type is not valid.")


def check_capacity(capacity: int, shards: int) -> None:
    problems = _Problems()
    problems.check(
        1 <= capacity <= MAX_CAPACITY, "capacity", f"must be 1 to {MAX_CAPACITY}", "OUT_OF_RANGE"
    )
    problems.check(
        1 <= shards <= min(MAX_SHARDS, max(capacity, 1)),
        "shards",
        f"must be 1 to {MAX_SHARDS} and at most the capacity",
        "OUT_OF_RANGE",
    )
    problems.raise_if_any("The capacity is not valid.")


def normalize_voucher_code(code: str) -> str:
    """The stored form of a code: unpadded, upper case (codes are case-insensitive)."""
    if not _VOUCHER_CODE.fullmatch(code):
        raise ValidationFailed(
            "The voucher code is not valid.",
            errors=(FieldError("code", "3-32 letters, digits, - or _", "VOUCHER_CODE_INVALID"),),
        )
    return code.strip().upper()


def check_voucher(voucher: Voucher, ticket_type_ids: set[str]) -> None:
    problems = _Problems()
    if voucher.kind is VoucherKind.PERCENT:
        problems.check(
            1 <= voucher.value <= 10_000, "value", "basis points, 1 to 10000", "OUT_OF_RANGE"
        )
    elif voucher.kind is VoucherKind.FIXED:
        problems.check(
            1 <= voucher.value <= MAX_AMOUNT_CENTS,
            "value",
            f"cents, 1 to {MAX_AMOUNT_CENTS}",
            "OUT_OF_RANGE",
        )
    else:
        problems.check(voucher.value == 0, "value", "an access code has no value", "OUT_OF_RANGE")
    problems.check(
        voucher.max_uses is None or voucher.max_uses >= 1, "max_uses", "at least 1", "OUT_OF_RANGE"
    )
    problems.check(
        voucher.budget_cents is None or voucher.budget_cents >= 1,
        "budget_cents",
        "at least 1",
        "OUT_OF_RANGE",
    )
    problems.check_carried({"valid_from": voucher.valid_from, "valid_to": voucher.valid_to})
    problems.check(
        voucher.valid_from is None
        or voucher.valid_to is None
        or voucher.valid_from < voucher.valid_to,
        "valid_to",
        "must be after valid_from",
        "DATES_ORDER",
    )
    unknown = sorted(set(voucher.ticket_type_ids) - ticket_type_ids)
    problems.check(
        not unknown,
        "ticket_type_ids",
        f"not ticket types of this event: {unknown}",
        "UNKNOWN_TICKET_TYPE",
    )
    problems.raise_if_any("The voucher is not valid.")
