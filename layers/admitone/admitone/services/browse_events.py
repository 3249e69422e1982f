"""Public browsing: search published events (cursor pages) and show one event with the
live availability of its ticket types.

Filters are applied honestly: one index narrows by city, category or neither and by
start time; text, price and the rest are checked here, reading on until the page is
full or ``MAX_EXAMINED`` events were looked at. A short page with a cursor means
"examined enough for one request, ask again"; ``next_cursor = null`` means "no more".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Self

from pydantic import BaseModel

from admitone.adapters.cursor_keys import cursor_key
from admitone.adapters.dynamo import event_search
from admitone.adapters.dynamo.event_search import EventListing, Position
from admitone.domain.catalog import Category, Event, EventStatus, TicketType, normalize_city
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import CursorInvalid, FieldError, NotFound, ValidationFailed
from admitone.domain.ids import Prefix, is_id
from admitone.domain.moments import is_carried, out_of_range
from admitone.domain.pricing import FeeTier, all_in_price
from admitone.services.quote import fee_tier_at

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_EXAMINED = 500  # events read per request, whatever the filters keep
_FILTERED_BATCH = 100  # read size when filters may drop events (else: the page size)
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------- views
class EventSummary(BaseModel):
    id: str
    title: str
    category: Category
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str
    venue_id: str
    min_price_cents: int | None
    max_price_cents: int | None
    # The same range with the mandatory fees in (domain/pricing.all_in_price).
    min_all_in_price_cents: int | None
    max_all_in_price_cents: int | None
    currency: str

    @classmethod
    def of(cls, listing: EventListing, fee_tier: FeeTier) -> Self:
        event = listing.event
        all_in = _all_in(fee_tier, event)
        return cls(
            id=event.id,
            title=event.title,
            category=event.category,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            city=event.city,
            venue_id=event.venue_id,
            min_price_cents=listing.min_price_cents,
            max_price_cents=listing.max_price_cents,
            min_all_in_price_cents=_unless_none(all_in, listing.min_price_cents),
            max_all_in_price_cents=_unless_none(all_in, listing.max_price_cents),
            currency=event.currency.value,
        )


class EventPage(BaseModel):
    events: list[EventSummary]
    next_cursor: str | None


class PublicTicketType(BaseModel):
    id: str
    name: str
    price_cents: int
    # The price with every mandatory fee, before tax (domain/pricing.all_in_price).
    all_in_price_cents: int
    currency: str
    max_per_order: int
    sales_start: datetime
    sales_end: datetime
    available: int
    sold_out: bool


class PublicResalePolicy(BaseModel):
    allowed: bool
    min_pct: int
    max_pct: int


class PublicEvent(BaseModel):
    """Everything about an event a buyer may see (not its owner)."""

    id: str
    venue_id: str
    title: str
    description: str
    category: Category
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str
    currency: str
    sales_start: datetime
    sales_end: datetime
    registration_deadline: datetime
    hold_minutes: int
    high_demand: bool
    nft_enabled: bool
    resale: PublicResalePolicy
    min_price_cents: int | None
    max_price_cents: int | None
    min_all_in_price_cents: int | None
    max_all_in_price_cents: int | None
    created_at: datetime
    ticket_types: list[PublicTicketType]


# --------------------------------------------------------------------- search
@dataclass(frozen=True)
class EventSearch:
    """The filters of ``GET /events`` as the client sent them (times as ISO 8601 text:
    a date, or a date-time; without an offset, UTC)."""

    q: str | None = None
    category: Category | None = None
    city: str | None = None
    starts_from: str | None = None
    starts_to: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None


@dataclass(frozen=True)
class _Criteria:
    words: tuple[str, ...]
    category: Category | None
    city_key: str | None
    starts_from: datetime | None  # None: from now
    starts_to: datetime | None
    min_price_cents: int | None
    max_price_cents: int | None

    @property
    def drops_events(self) -> bool:
        """Whether events in the key range may fail the filters checked here."""
        return bool(self.words) or (
            self.min_price_cents is not None or self.max_price_cents is not None
        )

    def fingerprint(self) -> str:
        return fingerprint(
            {
                "q": list(self.words),
                "category": None if self.category is None else self.category.value,
                "city": self.city_key,
                "from": _iso(self.starts_from),
                "to": _iso(self.starts_to),
                "min_price": self.min_price_cents,
                "max_price": self.max_price_cents,
            }
        )

    def matches(self, listing: EventListing, starts_from: datetime) -> bool:
        event = listing.event
        return (
            event.status is EventStatus.PUBLISHED
            and starts_from <= event.starts_at
            and (self.starts_to is None or event.starts_at <= self.starts_to)
            and (self.category is None or event.category is self.category)
            and self._in_price_range(listing)
            and self._has_words(event)
        )

    def _has_words(self, event: Event) -> bool:
        if not self.words:
            return True
        text = set(_words(f"{event.title} {event.description}"))
        return all(word in text for word in self.words)

    def _in_price_range(self, listing: EventListing) -> bool:
        # An event matches when some of its prices may fall in the range: its
        # [min, max] overlaps [min_price, max_price]. Without prices it cannot.
        if self.min_price_cents is None and self.max_price_cents is None:
            return True
        if listing.min_price_cents is None or listing.max_price_cents is None:
            return False
        return (
            self.max_price_cents is None or listing.min_price_cents <= self.max_price_cents
        ) and (self.min_price_cents is None or listing.max_price_cents >= self.min_price_cents)


def search_events(
    search: EventSearch,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    now: datetime | None = None,
) -> EventPage:
    """One page of published events by start time (upcoming ones unless ``starts_from``).

    Raises ``ValidationFailed`` for inconsistent filters and ``CursorInvalid`` for a
    cursor this query did not issue (another filter set, altered, truncated, old key).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            "The page size is out of range.",
            errors=(FieldError("query.limit", f"must be 1 to {MAX_LIMIT}", "OUT_OF_RANGE"),),
        )
    criteria = _criteria(search)
    after = (
        None
        if cursor is None
        else _position(decode_cursor(cursor, criteria.fingerprint(), cursor_key()))
    )
    starts_from = criteria.starts_from or (now or datetime.now(UTC))
    hits = event_search.published_events(
        city_key=criteria.city_key,
        category=criteria.category,
        starts_from=starts_from,
        starts_to=criteria.starts_to,
        after=after,
        batch=_FILTERED_BATCH if criteria.drops_events else limit,
    )
    page: list[EventListing] = []
    resume: Position | None = None
    for examined, hit in enumerate(hits, start=1):
        if criteria.matches(hit.listing, starts_from):
            page.append(hit.listing)
        if hit.last:
            break
        if len(page) == limit or examined == MAX_EXAMINED:
            resume = hit.position
            break
    tiers = _fee_tiers({listing.event.venue_id for listing in page})
    return EventPage(
        events=[EventSummary.of(listing, tiers[listing.event.venue_id]) for listing in page],
        next_cursor=(
            None if resume is None else encode_cursor(resume, criteria.fingerprint(), cursor_key())
        ),
    )


def _criteria(search: EventSearch) -> _Criteria:
    starts_from = _moment(search.starts_from, "query.from", end_of_day=False)
    starts_to = _moment(search.starts_to, "query.to", end_of_day=True)
    errors: list[FieldError] = []
    if starts_from is not None and starts_to is not None and starts_from > starts_to:
        errors.append(FieldError("query.to", "must not be before from", "DATES_ORDER"))
    low, high = search.min_price_cents, search.max_price_cents
    if low is not None and high is not None and low > high:
        errors.append(FieldError("query.max_price", "must not be below min_price", "OUT_OF_RANGE"))
    if errors:
        raise ValidationFailed("The filters contradict each other.", errors=tuple(errors))
    city_key = normalize_city(search.city) if search.city is not None else ""
    return _Criteria(
        words=tuple(sorted(set(_words(search.q or "")))),
        category=search.category,
        city_key=city_key or None,
        starts_from=starts_from,
        starts_to=starts_to,
        min_price_cents=low,
        max_price_cents=high,
    )


def _moment(text: str | None, field: str, *, end_of_day: bool) -> datetime | None:
    """A date means its whole UTC day (from its first to its last instant). Only times
    the system carries are searched (domain/moments.py): a year 1 or 9999, or an offset
    pushing one past the range, would not even convert to UTC."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return _carried(datetime.combine(day, time.max if end_of_day else time.min, UTC), field)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "A time filter is not an ISO 8601 date or date-time.",
            errors=(FieldError(field, "e.g. 2026-12-01 or 2026-12-01T20:00:00Z", "DATE_INVALID"),),
        ) from None
    aware = _carried(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment, field)
    return aware.astimezone(UTC)


def _carried(moment: datetime, field: str) -> datetime:
    if not is_carried(moment):
        raise ValidationFailed(
            "A time filter is out of the range searched.", errors=(out_of_range(field),)
        )
    return moment


def _position(decoded: dict[str, str]) -> Position:
    if set(decoded) != {"sk", "id"} or not is_id(decoded["id"], Prefix.EVENT):
        raise CursorInvalid(
            "The cursor is not valid for this query; start again from the first page.",
            errors=(
                FieldError("query.cursor", "not a cursor this query issued", CursorInvalid.code),
            ),
        )
    return decoded


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# --------------------------------------------------------------------- detail
def event_detail(event_id: str) -> PublicEvent:
    """A published (or since cancelled/completed) event with its visible ticket types
    and what each has left; ``NotFound`` for a draft or an unknown id."""
    found = event_search.event_with_inventory(event_id) if is_id(event_id, Prefix.EVENT) else None
    if found is None or found.event.status is EventStatus.DRAFT:
        raise NotFound("No such event.")
    event = found.event
    visible = [tt for tt in found.ticket_types if not tt.hidden]
    prices = [tt.price_cents for tt in visible]
    all_in = _all_in(_fee_tiers({event.venue_id})[event.venue_id], event)
    return PublicEvent(
        id=event.id,
        venue_id=event.venue_id,
        title=event.title,
        description=event.description,
        category=event.category,
        status=event.status,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        city=event.city,
        currency=event.currency.value,
        sales_start=event.sales_start,
        sales_end=event.sales_end,
        registration_deadline=event.registration_deadline,
        hold_minutes=event.hold_minutes,
        high_demand=event.high_demand,
        nft_enabled=event.nft_enabled,
        resale=PublicResalePolicy(
            allowed=event.resale.allowed,
            min_pct=event.resale.min_pct,
            max_pct=event.resale.max_pct,
        ),
        min_price_cents=min(prices, default=None),
        max_price_cents=max(prices, default=None),
        min_all_in_price_cents=_unless_none(all_in, min(prices, default=None)),
        max_all_in_price_cents=_unless_none(all_in, max(prices, default=None)),
        created_at=event.created_at,
        ticket_types=[_public_ticket_type(tt, event, found.available, all_in) for tt in visible],
    )


def _public_ticket_type(
    ticket_type: TicketType,
    event: Event,
    available: Mapping[str, int],
    all_in: Callable[[int], int],
) -> PublicTicketType:
    left = _available(ticket_type, available)
    return PublicTicketType(
        id=ticket_type.id,
        name=ticket_type.name,
        price_cents=ticket_type.price_cents,
        all_in_price_cents=all_in(ticket_type.price_cents),
        currency=ticket_type.currency.value,
        max_per_order=ticket_type.max_per_order,
        sales_start=ticket_type.sales_start or event.sales_start,
        sales_end=ticket_type.sales_end or event.sales_end,
        available=left,
        sold_out=left == 0,
    )


def _available(ticket_type: TicketType, available: Mapping[str, int]) -> int:
    """What a ticket type can still sell: its own shards, bounded by its pool's."""
    own = available.get(ticket_type.id, 0)
    if ticket_type.pool_id is None:
        return max(own, 0)
    return max(min(own, available.get(ticket_type.pool_id, 0)), 0)


# ------------------------------------------------------------------ all-in prices
def _fee_tiers(venue_ids: set[str]) -> dict[str, FeeTier]:
    """The fee tier each venue's buyers pay (one read per venue on the page)."""
    return {venue_id: fee_tier_at(venue_id) for venue_id in venue_ids}


def _all_in(fee_tier: FeeTier, event: Event) -> Callable[[int], int]:
    return partial(all_in_price, fee_tier=fee_tier, nft=event.nft_enabled)


def _unless_none(all_in: Callable[[int], int], price_cents: int | None) -> int | None:
    return None if price_cents is None else all_in(price_cents)
