"""Catalog rules: the event state machine, what each state lets change, codes, and the
window of dates an event may take (RULES §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from admitone.domain.catalog import (
    EDITABLE_WHEN,
    EVENT_START_HORIZON,
    MAX_EVENT_LENGTH,
    MAX_FESTIVAL_LENGTH,
    Category,
    EventStatus,
    ResalePolicy,
    check_event_schedule,
    check_event_start,
    normalize_city,
    normalize_voucher_code,
    require_editable,
    require_transition,
)
from admitone.domain.errors import InvalidTransition, ValidationFailed
from admitone.domain.moments import EARLIEST_MOMENT, END_OF_CARRIED_TIME, is_carried


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (EventStatus.DRAFT, EventStatus.PUBLISHED),
        (EventStatus.DRAFT, EventStatus.CANCELLED),
        (EventStatus.PUBLISHED, EventStatus.CANCELLED),
        (EventStatus.PUBLISHED, EventStatus.COMPLETED),
    ],
)
def test_the_event_lifecycle_moves_forward(current, target):
    require_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (EventStatus.PUBLISHED, EventStatus.DRAFT),
        (EventStatus.CANCELLED, EventStatus.PUBLISHED),
        (EventStatus.COMPLETED, EventStatus.CANCELLED),
        (EventStatus.DRAFT, EventStatus.COMPLETED),
        (EventStatus.PUBLISHED, EventStatus.PUBLISHED),
    ],
)
def test_the_event_lifecycle_never_moves_back_or_skips(current, target):
    with pytest.raises(InvalidTransition):
        require_transition(current, target)


def test_a_published_event_keeps_what_buyers_paid_for():
    require_editable(EventStatus.PUBLISHED, {"title", "description"})
    with pytest.raises(InvalidTransition) as refused:
        require_editable(EventStatus.PUBLISHED, {"title", "starts_at", "nft_enabled"})
    assert [error.field for error in refused.value.errors] == ["nft_enabled", "starts_at"]
    assert EDITABLE_WHEN[EventStatus.CANCELLED] == frozenset()


def test_voucher_codes_are_normalized_and_bounded():
    assert normalize_voucher_code("  early-bird ") == "EARLY-BIRD"
    for bad in ("ab", "has space", "x" * 40, "-LEADING"):
        with pytest.raises(ValidationFailed):
            normalize_voucher_code(bad)


def test_cities_compare_without_case_or_extra_spaces():
    assert normalize_city("  New   York ") == normalize_city("new york") == "new york"


# ------------------------------------------------------------------ date windows
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def schedule(category: Category = Category.MUSIC, **moments: datetime) -> None:
    starts = moments.pop("starts_at", NOW + timedelta(days=30))
    check_event_schedule(
        category=category,
        starts_at=starts,
        ends_at=moments.pop("ends_at", starts + timedelta(hours=3)),
        sales_start=moments.pop("sales_start", NOW),
        sales_end=moments.pop("sales_end", starts),
        registration_deadline=moments.pop("registration_deadline", starts),
        hold_minutes=15,
        resale=ResalePolicy(),
    )


def codes(refused: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in refused.value.errors]


def test_an_event_starts_ahead_and_within_five_years():
    check_event_start(NOW + EVENT_START_HORIZON, now=NOW)
    for starts, code in ((NOW, "DATE_PASSED"), (NOW + EVENT_START_HORIZON * 2, "DATE_TOO_FAR")):
        with pytest.raises(ValidationFailed) as refused:
            check_event_start(starts, now=NOW)
        assert codes(refused) == [("starts_at", code)]


def test_an_event_lasts_a_week_at_most_and_a_festival_a_month():
    schedule(ends_at=NOW + timedelta(days=30) + MAX_EVENT_LENGTH)
    schedule(Category.FESTIVAL, ends_at=NOW + timedelta(days=30) + MAX_FESTIVAL_LENGTH)
    for category, length in (
        (Category.MUSIC, MAX_EVENT_LENGTH),
        (Category.FESTIVAL, MAX_FESTIVAL_LENGTH),
    ):
        with pytest.raises(ValidationFailed) as refused:
            schedule(category, ends_at=NOW + timedelta(days=30) + length + timedelta(seconds=1))
        assert codes(refused) == [("ends_at", "EVENT_TOO_LONG")]
        assert f"{length.days} days" in refused.value.errors[0].message


def test_every_date_of_an_event_must_be_one_the_system_carries():
    east = timezone(timedelta(hours=23, minutes=59))
    with pytest.raises(ValidationFailed) as refused:
        schedule(
            starts_at=datetime(2106, 3, 1, tzinfo=UTC),
            sales_start=datetime(1, 1, 1, tzinfo=east),
            registration_deadline=datetime(
                2100, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=1))
            ),
        )
    assert codes(refused) == [
        ("starts_at", "DATE_OUT_OF_RANGE"),
        ("ends_at", "DATE_OUT_OF_RANGE"),
        ("sales_start", "DATE_OUT_OF_RANGE"),
        ("sales_end", "DATE_OUT_OF_RANGE"),
        ("registration_deadline", "DATE_OUT_OF_RANGE"),
    ]


def test_the_carried_years_are_2000_to_2100_at_any_offset():
    assert is_carried(EARLIEST_MOMENT)
    assert is_carried(END_OF_CARRIED_TIME - timedelta(microseconds=1))
    assert not is_carried(END_OF_CARRIED_TIME)
    assert not is_carried(datetime(2000, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert not is_carried(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))))
    assert not is_carried(datetime(9999, 12, 31, tzinfo=timezone(-timedelta(hours=23))))
