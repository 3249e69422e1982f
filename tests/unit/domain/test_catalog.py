"""Catalog rules: the event state machine, what each state lets change, codes, the
window of dates an event may take (RULES §4), and the bounds of ticket types, capacity
pools and vouchers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from admitone.domain.catalog import (
    EDITABLE_WHEN,
    EVENT_START_HORIZON,
    MAX_CAPACITY,
    MAX_EVENT_LENGTH,
    MAX_FESTIVAL_LENGTH,
    MAX_PER_ORDER,
    MAX_SCANS,
    MAX_SHARDS,
    Category,
    Event,
    EventStatus,
    ResalePolicy,
    RoyaltyRates,
    TicketType,
    Voucher,
    VoucherKind,
    check_cancellable,
    check_capacity,
    check_event_schedule,
    check_event_start,
    check_ticket_type,
    check_timezone,
    check_voucher,
    normalize_city,
    normalize_voucher_code,
    require_editable,
    require_transition,
)
from admitone.domain.errors import EventAlreadyEnded, InvalidTransition, ValidationFailed
from admitone.domain.moments import EARLIEST_MOMENT, END_OF_CARRIED_TIME, is_carried
from admitone.domain.money import MAX_AMOUNT_CENTS, Currency


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


def test_an_event_is_cancelled_only_until_it_ends():
    ends = datetime(2026, 12, 2, 23, tzinfo=UTC)
    check_cancellable(ends, now=ends - timedelta(seconds=1))
    for now in (ends, ends + timedelta(days=1)):
        with pytest.raises(EventAlreadyEnded) as refused:
            check_cancellable(ends, now=now)
        assert refused.value.code == "EVENT_ENDED"


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"])
def test_a_venue_keeps_an_iana_time_zone(name):
    check_timezone(name)


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "europe/paris", "+02:00", "CEST"])
def test_anything_but_an_iana_time_zone_is_refused_naming_the_field(name):
    with pytest.raises(ValidationFailed) as refused:
        check_timezone(name, field_name="address.timezone")
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("address.timezone", "TIMEZONE_INVALID")
    ]


def test_voucher_codes_are_normalized_and_bounded():
    assert normalize_voucher_code("  early-bird ") == "EARLY-BIRD"
    for bad in ("ab", "has space", "x" * 40, "-LEADING"):
        with pytest.raises(ValidationFailed):
            normalize_voucher_code(bad)


def test_cities_compare_without_case_or_extra_spaces():
    assert normalize_city("  New   York ") == normalize_city("new york") == "new york"


# ------------------------------------------------------------------ date windows
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def schedule(
    category: Category = Category.MUSIC, resale: ResalePolicy | None = None, **moments: datetime
) -> None:
    starts = moments.pop("starts_at", NOW + timedelta(days=30))
    check_event_schedule(
        category=category,
        starts_at=starts,
        ends_at=moments.pop("ends_at", starts + timedelta(hours=3)),
        sales_start=moments.pop("sales_start", NOW),
        sales_end=moments.pop("sales_end", starts),
        registration_deadline=moments.pop("registration_deadline", starts),
        hold_minutes=15,
        resale=resale or ResalePolicy(),
    )


def codes(refused: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in refused.value.errors]


def test_an_event_starts_ahead_and_within_five_years():
    check_event_start(NOW + EVENT_START_HORIZON, now=NOW)
    for starts, code in ((NOW, "DATE_PASSED"), (NOW + EVENT_START_HORIZON * 2, "DATE_TOO_FAR")):
        with pytest.raises(ValidationFailed) as refused:
            check_event_start(starts, now=NOW)
        assert codes(refused) == [("starts_at", code)]


def test_an_events_own_resale_royalties_are_checked_as_a_venues_are():
    schedule(resale=ResalePolicy(royalties=RoyaltyRates(venue_bps=2000, artist_bps=3000)))
    with pytest.raises(ValidationFailed) as refused:
        schedule(resale=ResalePolicy(royalties=RoyaltyRates(venue_bps=5001, artist_bps=0)))
    assert codes(refused) == [
        ("resale.royalties.venue_bps", "ROYALTY_OUT_OF_RANGE"),
        ("resale.royalties", "ROYALTY_OUT_OF_RANGE"),
    ]


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


# ------------------------------------------------------------------ ticket types
EVENT = Event(
    id="evt_1",
    venue_id="ven_1",
    owner_id="usr_1",
    title="Gala",
    description="",
    category=Category.MUSIC,
    starts_at=NOW + timedelta(days=30),
    ends_at=NOW + timedelta(days=30, hours=3),
    timezone="Europe/Paris",
    city="paris",
    currency=Currency.EUR,
    sales_start=NOW,
    sales_end=NOW + timedelta(days=30),
    registration_deadline=NOW + timedelta(days=30),
    created_at=NOW,
)
GA = TicketType(
    id="tty_ga", event_id="evt_1", name="GA", price_cents=5000, currency=Currency.EUR, capacity=100
)
BEFORE_CARRIED_TIME = EARLIEST_MOMENT - timedelta(hours=1)


def label(changes: object) -> str:
    """A test id for a dict of changed fields, times shown relative to NOW."""
    if not isinstance(changes, dict):
        return str(changes)
    return ",".join(f"{name}={_relative(value)}" for name, value in changes.items()) or "as-is"


def _relative(value: object) -> object:
    if not isinstance(value, datetime):
        return value
    delta = value - NOW
    return f"NOW{'-' if delta < timedelta(0) else '+'}{abs(delta)}"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"price_cents": 0},
        {"price_cents": MAX_AMOUNT_CENTS},
        {"capacity": 1},
        {"capacity": MAX_CAPACITY, "shards": MAX_SHARDS},
        {"capacity": 3, "shards": 3},
        {"max_per_order": 1},
        {"max_per_order": MAX_PER_ORDER},
        {"max_scans": MAX_SCANS},
        # Its own window within the event's; an end it leaves open is the event's.
        {"sales_start": NOW + timedelta(days=1), "sales_end": NOW + timedelta(days=2)},
        {"sales_start": NOW + timedelta(days=29)},
        {"sales_end": EVENT.ends_at},
    ],
    ids=label,
)
def test_a_ticket_type_within_every_bound_is_accepted(changes):
    check_ticket_type(replace(GA, **changes), EVENT)


@pytest.mark.parametrize(
    ("changes", "refusals"),
    [
        ({"price_cents": -1}, [("price_cents", "OUT_OF_RANGE")]),
        ({"price_cents": MAX_AMOUNT_CENTS + 1}, [("price_cents", "OUT_OF_RANGE")]),
        ({"currency": Currency.USD}, [("currency", "CURRENCY_MISMATCH")]),
        ({"capacity": 0}, [("capacity", "OUT_OF_RANGE"), ("shards", "OUT_OF_RANGE")]),
        ({"capacity": MAX_CAPACITY + 1}, [("capacity", "OUT_OF_RANGE")]),
        ({"max_per_order": 0}, [("max_per_order", "OUT_OF_RANGE")]),
        ({"max_per_order": MAX_PER_ORDER + 1}, [("max_per_order", "OUT_OF_RANGE")]),
        ({"max_scans": 0}, [("max_scans", "OUT_OF_RANGE")]),
        ({"max_scans": MAX_SCANS + 1}, [("max_scans", "OUT_OF_RANGE")]),
        ({"shards": 0}, [("shards", "OUT_OF_RANGE")]),
        ({"shards": MAX_SHARDS + 1}, [("shards", "OUT_OF_RANGE")]),
        ({"capacity": 2, "shards": 3}, [("shards", "OUT_OF_RANGE")]),  # a shard with no seat
        (
            {"sales_start": NOW + timedelta(days=2), "sales_end": NOW + timedelta(days=2)},
            [("sales_end", "DATES_ORDER")],
        ),
        ({"sales_start": EVENT.sales_end}, [("sales_end", "DATES_ORDER")]),
        ({"sales_end": EVENT.ends_at + timedelta(seconds=1)}, [("sales_end", "DATES_ORDER")]),
        ({"sales_start": BEFORE_CARRIED_TIME}, [("sales_start", "DATE_OUT_OF_RANGE")]),
        (
            {"sales_end": END_OF_CARRIED_TIME},
            [("sales_end", "DATE_OUT_OF_RANGE"), ("sales_end", "DATES_ORDER")],
        ),
    ],
    ids=label,
)
def test_a_ticket_type_out_of_bounds_is_refused_naming_each_field(changes, refusals):
    with pytest.raises(ValidationFailed) as refused:
        check_ticket_type(replace(GA, **changes), EVENT)
    assert codes(refused) == refusals


def test_every_problem_of_a_ticket_type_is_reported_at_once():
    broken = replace(
        GA, price_cents=-5, currency=Currency.GBP, max_per_order=11, max_scans=0, shards=17
    )
    with pytest.raises(ValidationFailed) as refused:
        check_ticket_type(broken, EVENT)
    assert codes(refused) == [
        ("price_cents", "OUT_OF_RANGE"),
        ("currency", "CURRENCY_MISMATCH"),
        ("max_per_order", "OUT_OF_RANGE"),
        ("max_scans", "OUT_OF_RANGE"),
        ("shards", "OUT_OF_RANGE"),
    ]
    assert refused.value.errors[1].message == "the event sells in EUR"


# ------------------------------------------------------------------ capacity pools
@pytest.mark.parametrize(
    ("capacity", "shards"), [(1, 1), (5, 5), (MAX_CAPACITY, 1), (MAX_CAPACITY, MAX_SHARDS)]
)
def test_a_pool_of_1_to_a_million_seats_in_at_most_16_shards_is_accepted(capacity, shards):
    check_capacity(capacity, shards)


@pytest.mark.parametrize(
    ("capacity", "shards", "refusals"),
    [
        (0, 1, [("capacity", "OUT_OF_RANGE")]),
        (-3, 1, [("capacity", "OUT_OF_RANGE")]),
        (MAX_CAPACITY + 1, 1, [("capacity", "OUT_OF_RANGE")]),
        (100, 0, [("shards", "OUT_OF_RANGE")]),
        (100, MAX_SHARDS + 1, [("shards", "OUT_OF_RANGE")]),
        (4, 5, [("shards", "OUT_OF_RANGE")]),  # a shard with no seat
        (0, 2, [("capacity", "OUT_OF_RANGE"), ("shards", "OUT_OF_RANGE")]),
    ],
)
def test_a_pool_out_of_bounds_is_refused_naming_each_field(capacity, shards, refusals):
    with pytest.raises(ValidationFailed) as refused:
        check_capacity(capacity, shards)
    assert codes(refused) == refusals


# ------------------------------------------------------------------ vouchers
TYPE_IDS = {"tty_ga", "tty_vip"}
TEN_PERCENT = Voucher(event_id="evt_1", code="SAVE", kind=VoucherKind.PERCENT, value=1000)


@pytest.mark.parametrize(
    "changes",
    [
        {"value": 1},
        {"value": 10_000},  # 100 % off: a comp code
        {"kind": VoucherKind.FIXED, "value": 1},
        {"kind": VoucherKind.FIXED, "value": MAX_AMOUNT_CENTS},
        {"kind": VoucherKind.ACCESS, "value": 0, "ticket_type_ids": ("tty_vip",)},
        {"max_uses": 1, "budget_cents": 1},
        {"valid_from": NOW, "valid_to": NOW + timedelta(seconds=1)},
        {"valid_from": NOW},
        {"valid_to": NOW},
        {"ticket_type_ids": ("tty_ga", "tty_vip")},
    ],
    ids=label,
)
def test_a_voucher_within_every_bound_is_accepted(changes):
    check_voucher(replace(TEN_PERCENT, **changes), TYPE_IDS)


@pytest.mark.parametrize(
    ("changes", "refusals"),
    [
        ({"value": 0}, [("value", "OUT_OF_RANGE")]),
        ({"value": 10_001}, [("value", "OUT_OF_RANGE")]),  # more than 100 % off
        ({"kind": VoucherKind.FIXED, "value": 0}, [("value", "OUT_OF_RANGE")]),
        (
            {"kind": VoucherKind.FIXED, "value": MAX_AMOUNT_CENTS + 1},
            [("value", "OUT_OF_RANGE")],
        ),
        ({"kind": VoucherKind.ACCESS, "value": 500}, [("value", "OUT_OF_RANGE")]),
        ({"max_uses": 0}, [("max_uses", "OUT_OF_RANGE")]),
        ({"budget_cents": 0}, [("budget_cents", "OUT_OF_RANGE")]),
        ({"valid_from": NOW, "valid_to": NOW}, [("valid_to", "DATES_ORDER")]),
        (
            {"valid_from": NOW, "valid_to": NOW - timedelta(days=1)},
            [("valid_to", "DATES_ORDER")],
        ),
        (
            {"valid_from": BEFORE_CARRIED_TIME, "valid_to": END_OF_CARRIED_TIME},
            [("valid_from", "DATE_OUT_OF_RANGE"), ("valid_to", "DATE_OUT_OF_RANGE")],
        ),
        (
            {"ticket_type_ids": ("tty_ga", "tty_of_another_event")},
            [("ticket_type_ids", "UNKNOWN_TICKET_TYPE")],
        ),
    ],
    ids=label,
)
def test_a_voucher_out_of_bounds_is_refused_naming_each_field(changes, refusals):
    with pytest.raises(ValidationFailed) as refused:
        check_voucher(replace(TEN_PERCENT, **changes), TYPE_IDS)
    assert codes(refused) == refusals


def test_a_voucher_names_the_ticket_types_that_are_not_the_events():
    with pytest.raises(ValidationFailed) as refused:
        check_voucher(
            replace(TEN_PERCENT, ticket_type_ids=("tty_zz", "tty_ga", "tty_aa")), TYPE_IDS
        )
    assert refused.value.errors[0].message == "not ticket types of this event: ['tty_aa', 'tty_zz']"
