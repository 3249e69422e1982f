"""Waiting for the local stack: poll a condition often, give up only after a generous ceiling.

A busy 2-core machine runs the stack several times slower than an idle one; a test
waits for what it needs, never for a fixed time, so slowness is never a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

CEILING_SECONDS = 120.0
INTERVAL_SECONDS = 0.2


def wait_for[T](
    condition: Callable[[], T],
    *,
    what: str,
    ceiling: float = CEILING_SECONDS,
    interval: float = INTERVAL_SECONDS,
) -> T:
    """The first truthy value of ``condition()``; fails naming ``what`` after ``ceiling`` s."""
    deadline = time.monotonic() + ceiling
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {ceiling:.0f} s for {what}: last {value!r}")
        time.sleep(interval)
