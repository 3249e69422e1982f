"""Outbox delivery (RULES §7): when a failed publish is tried again, and when it stops.

An item is published at least once; consumers deduplicate by ``detail.event_id``. A
failed attempt waits 1 s, doubling per attempt, capped at 60 s, with ±30 % jitter so
that items that failed together do not retry together. The 5th failure dead-letters the
item: it is never reset silently; an alarm and an operator decide.
"""

from __future__ import annotations

from datetime import timedelta

MAX_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=60)
JITTER = 0.3


def retry_delay(attempts_made: int, jitter: float) -> timedelta:
    """The wait before attempt ``attempts_made + 1``; ``jitter`` is uniform in [-1, 1]."""
    if attempts_made < 1:
        raise ValueError("a retry follows at least one attempt")
    if not -1.0 <= jitter <= 1.0:
        raise ValueError("jitter must be within [-1, 1]")
    doubled: timedelta = FIRST_DELAY * 2 ** (attempts_made - 1)
    return min(doubled, MAX_DELAY) * (1 + JITTER * jitter)


def is_exhausted(attempts_made: int) -> bool:
    """Whether an item that failed ``attempts_made`` times goes to the dead letters."""
    return attempts_made >= MAX_ATTEMPTS
