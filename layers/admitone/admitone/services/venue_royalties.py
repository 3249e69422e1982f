"""A venue's resale royalties over a range of days (issue 19, RULES §13): what its ledger
booked for resales released, less reversals, per event and in all (owner or admin).

Every booking of the range is read (one Query of the venue's royalty index, only resale
transactions): the totals are the whole range's, and the per-event rows come in cursor
pages ordered by event, the cursor bound to the venue and the range. The range is at
most ``royalties.MAX_RANGE_DAYS`` days, so one call reads at most a year of the venue's
resales.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from admitone.adapters.cursor_keys import cursor_key
from admitone.domain.accounts import Principal
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import NotFound
from admitone.domain.ids import Prefix, is_id
from admitone.domain.royalties import DayRange, RoyaltySum, day_range, report
from admitone.ports import Ports


@dataclass(frozen=True)
class RoyaltyPage:
    range: DayRange
    totals: tuple[RoyaltySum, ...]  # the whole range, per currency
    events: tuple[RoyaltySum, ...]  # this page's events
    next_cursor: str | None


def venue_royalties(
    ports: Ports,
    venue_id: str,
    caller: Principal,
    *,
    first: date,
    last: date,
    limit: int,
    cursor: str | None,
) -> RoyaltyPage:
    venue = ports.store.catalog.venue(venue_id) if is_id(venue_id, Prefix.VENUE) else None
    if venue is None or not caller.manages(venue.owner_id):
        raise NotFound("No such venue.")
    days = day_range(first, last)
    filters = fingerprint(
        {"venue_royalties": venue_id, "from": first.isoformat(), "to": last.isoformat()}
    )
    after = decode_cursor(cursor, filters, cursor_key()).get("after", "") if cursor else ""
    bookings = ports.store.ledger.royalty_bookings(venue_id, since=days.since, until=days.until)
    summed = report(bookings)
    rest = [row for row in summed.by_event if _position(row) > after]
    page = rest[:limit]
    more = len(rest) > limit
    return RoyaltyPage(
        range=days,
        totals=summed.totals,
        events=tuple(page),
        next_cursor=(
            encode_cursor({"after": _position(page[-1])}, filters, cursor_key()) if more else None
        ),
    )


def _position(row: RoyaltySum) -> str:
    return f"{row.event_id}#{row.currency}"
