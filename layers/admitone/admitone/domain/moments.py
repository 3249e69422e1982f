"""The times the system can carry (RULES §4): every datetime a client sends lies within
the years ``EARLIEST_YEAR`` to ``LATEST_YEAR``, so converting it to UTC, adding a day or a
TTL to it, writing it in a sort key (four-digit years) or in a ticket token (32-bit Unix
seconds, which end in 2106) can never fail. Narrower windows (an event's start, within
the next five years) are the catalog's; this one only keeps the arithmetic safe.
"""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.domain.errors import FieldError

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
EARLIEST_MOMENT = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
END_OF_CARRIED_TIME = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)  # the first instant not carried
DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
OUT_OF_RANGE_MESSAGE = f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR} (UTC)"


def is_carried(moment: datetime) -> bool:
    """Whether the system can carry ``moment`` (an aware datetime; comparing it with the
    bounds is safe at any offset, where converting it to UTC is not)."""
    return EARLIEST_MOMENT <= moment < END_OF_CARRIED_TIME


def out_of_range(field: str) -> FieldError:
    return FieldError(field, OUT_OF_RANGE_MESSAGE, DATE_OUT_OF_RANGE)
