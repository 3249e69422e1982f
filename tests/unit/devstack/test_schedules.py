"""Schedule expressions fire when EventBridge would fire them."""

from datetime import UTC, datetime, timedelta

import pytest

from scripts.devstack.schedules import Schedule, ScheduleError

START = datetime(2026, 11, 23, 18, 7, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(2 hours)", timedelta(hours=2)),
        ("rate(1 day)", timedelta(days=1)),
    ],
)
def test_a_rate_fires_once_per_interval(expression, interval):
    assert Schedule(expression).next_after(START) == START + interval


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0/5 * * * ? *)", datetime(2026, 11, 23, 18, 10, tzinfo=UTC)),
        ("cron(0 9 * * ? *)", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("cron(15 10 ? * MON-FRI *)", datetime(2026, 11, 24, 10, 15, tzinfo=UTC)),
        ("cron(0 12 ? * SUN *)", datetime(2026, 11, 29, 12, 0, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? *)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(30 18,20 * * ? 2026)", datetime(2026, 11, 23, 18, 30, tzinfo=UTC)),
    ],
)
def test_a_cron_fires_at_the_next_matching_minute(expression, expected):
    assert Schedule(expression).next_after(START) == expected


@pytest.mark.parametrize(
    "expression",
    ["rate(1 fortnight)", "cron(0 9 * * ?)", "cron(0 9 L * ? *)", "every minute"],
)
def test_expressions_the_clock_cannot_honour_are_refused(expression):
    with pytest.raises(ScheduleError):
        Schedule(expression)


def test_a_cron_that_never_fires_is_reported():
    with pytest.raises(ScheduleError, match="within a year"):
        Schedule("cron(0 0 30 FEB ? *)").next_after(START)
