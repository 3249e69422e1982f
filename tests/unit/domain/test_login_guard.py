"""The login backoff: free failures, doubling waits with a cap, forgiveness over time,
one notice a day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.login_guard import (
    BY_ADDRESS,
    BY_SOURCE,
    KNOWN_SOURCE_LIFETIME,
    KNOWN_SOURCE_RENEWAL,
    MAX_KNOWN_SOURCES,
    NOTICE_INTERVAL,
    Backoff,
    Failures,
    KnownSources,
    longest_wait,
)

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def failed(times: int, policy: Backoff = BY_ADDRESS, at: datetime = NOW) -> Failures:
    counter = Failures()
    for _ in range(times):
        counter = counter.counted(policy, at)
    return counter


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (14, 512), (15, 900), (40, 900), (10**6, 900)],
)
def test_five_failures_are_free_then_the_wait_doubles_from_one_second_to_fifteen_minutes(
    failures: int, delay: int
):
    assert BY_ADDRESS.delay_after(failures) == delay * SECOND


def test_a_source_gets_more_free_failures_than_an_address():
    assert BY_SOURCE.delay_after(19) == timedelta(0)
    assert BY_SOURCE.delay_after(20) == SECOND


def test_no_failure_means_no_wait():
    assert Failures().wait(NOW) is None
    assert Failures().level(BY_ADDRESS, NOW) == 0
    assert longest_wait(NOW, Failures(), None) is None


def test_the_failure_that_reaches_the_free_number_starts_the_wait():
    assert failed(4).wait(NOW) is None
    assert failed(5).wait(NOW) == SECOND
    assert failed(5).wait(NOW + SECOND) is None


def test_every_write_bumps_the_version():
    assert failed(3).version == 3
    assert failed(3).noticed(NOW).version == 4


def test_one_failure_is_forgiven_every_fifteen_minutes():
    counter = failed(6)
    assert counter.level(BY_ADDRESS, NOW + timedelta(minutes=14)) == 6
    assert counter.level(BY_ADDRESS, NOW + timedelta(minutes=15)) == 5
    assert counter.level(BY_ADDRESS, NOW + timedelta(hours=3)) == 0
    assert counter.level(BY_ADDRESS, NOW - timedelta(minutes=1)) == 6  # a clock behind


def test_a_part_period_already_waited_counts_towards_the_next_forgiveness():
    counter = failed(3).counted(BY_ADDRESS, NOW + timedelta(minutes=20))
    # 20 min: one forgiven, five minutes towards the next; then one more failure.
    assert counter.count == 3
    assert counter.level(BY_ADDRESS, NOW + timedelta(minutes=29)) == 3
    assert counter.level(BY_ADDRESS, NOW + timedelta(minutes=30)) == 2


def test_a_fully_forgiven_counter_starts_again_from_the_new_failure():
    counter = failed(2).counted(BY_ADDRESS, NOW + timedelta(hours=1))
    assert counter.count == 1
    assert counter.leaking_since == NOW + timedelta(hours=1)


def test_a_guesser_who_waits_out_every_capped_wait_stays_capped():
    counter = failed(15)
    at = NOW
    for _ in range(20):
        at = at + BY_ADDRESS.delay_after(counter.level(BY_ADDRESS, at))
        counter = counter.counted(BY_ADDRESS, at)
    assert counter.wait(at) == timedelta(minutes=15)


def test_the_longest_wait_wins():
    address, source = failed(6), failed(25, BY_SOURCE)
    assert longest_wait(NOW, address, source) == source.wait(NOW) == 32 * SECOND
    assert longest_wait(NOW, address, None) == 2 * SECOND


def test_the_owner_is_told_once_the_free_failures_are_used_and_then_once_a_day():
    assert not failed(4).notice_due(BY_ADDRESS, NOW)
    assert failed(5).notice_due(BY_ADDRESS, NOW)
    told = failed(5).noticed(NOW)
    assert not told.counted(BY_ADDRESS, NOW).notice_due(BY_ADDRESS, NOW)
    later = NOW + NOTICE_INTERVAL
    assert replace(failed(5, at=later), noticed_at=NOW).notice_due(BY_ADDRESS, later)
    assert not replace(failed(5, at=later), noticed_at=later - SECOND).notice_due(BY_ADDRESS, later)


def test_a_counter_is_forgotten_when_its_failures_wait_and_notice_are_all_over():
    assert Failures().forgotten_at(BY_ADDRESS) is None
    assert failed(2).forgotten_at(BY_ADDRESS) == NOW + timedelta(minutes=30)
    assert failed(20).forgotten_at(BY_ADDRESS) == NOW + timedelta(minutes=300)
    told = failed(5).noticed(NOW)
    assert told.forgotten_at(BY_ADDRESS) == NOW + NOTICE_INTERVAL
    assert Failures(count=0, retry_at=NOW).forgotten_at(BY_ADDRESS) == NOW


def test_a_source_is_known_for_ninety_days_after_each_sign_in():
    known = KnownSources().remembered("home", NOW)
    assert known.knows("home", NOW + KNOWN_SOURCE_LIFETIME - SECOND)
    assert not known.knows("home", NOW + KNOWN_SOURCE_LIFETIME)
    later = known.remembered("home", NOW + timedelta(days=60))
    assert later.knows("home", NOW + timedelta(days=149))
    assert not KnownSources().knows("home", NOW)


def test_lapsed_sources_are_dropped_and_beyond_the_cap_the_oldest_sign_ins_go():
    known = KnownSources()
    for n in range(MAX_KNOWN_SOURCES + 3):
        known = known.remembered(f"net{n}", NOW + n * SECOND)
    assert len(known.until) == MAX_KNOWN_SOURCES
    assert not known.knows("net0", NOW + MAX_KNOWN_SOURCES * SECOND)
    assert known.knows(f"net{MAX_KNOWN_SOURCES + 2}", NOW + MAX_KNOWN_SOURCES * SECOND)

    much_later = NOW + KNOWN_SOURCE_LIFETIME + timedelta(days=1)
    assert known.remembered("cafe", much_later).until.keys() == {"cafe"}
    assert known.remembered("cafe", much_later).forgotten_at() == (
        much_later + KNOWN_SOURCE_LIFETIME
    )
    assert KnownSources().forgotten_at() is None


def test_a_live_session_renews_its_source_at_most_once_a_day():
    known = KnownSources().remembered("home", NOW)
    assert KnownSources().stale("home", NOW)
    assert not known.stale("home", NOW + KNOWN_SOURCE_RENEWAL - SECOND)
    assert known.stale("home", NOW + KNOWN_SOURCE_RENEWAL)
    assert known.stale("cafe", NOW)
