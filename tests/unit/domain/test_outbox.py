"""Outbox retry schedule: 1 s doubling, capped at 60 s, ±30 % jitter, 5 attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.outbox import MAX_ATTEMPTS, is_exhausted, retry_delay


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (30, 60)]
)
def test_the_delay_doubles_from_one_second_up_to_a_minute(attempts: int, seconds: int):
    assert retry_delay(attempts, 0.0) == timedelta(seconds=seconds)


@given(st.integers(1, 40), st.floats(-1.0, 1.0))
def test_jitter_stays_within_thirty_percent(attempts: int, jitter: float):
    base = retry_delay(attempts, 0.0)
    assert base * 0.7 <= retry_delay(attempts, jitter) <= base * 1.3


@pytest.mark.parametrize(("attempts", "jitter"), [(0, 0.0), (1, 1.5), (1, -1.01)])
def test_nonsense_is_refused(attempts: int, jitter: float):
    with pytest.raises(ValueError, match=r"retry follows|jitter must"):
        retry_delay(attempts, jitter)


def test_the_fifth_failure_is_the_last():
    assert MAX_ATTEMPTS == 5
    assert not is_exhausted(4)
    assert is_exhausted(5)
