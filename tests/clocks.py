"""A clock a test moves by hand, for code that reads the time through a replaceable
``clock()`` (the rate-limit middleware, the login backoff)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **elapsed: float) -> None:
        self.now += timedelta(**elapsed)
