"""EventBridge schedule expressions: when a rate() or cron() next fires."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# cron fields: minutes hours day-of-month month day-of-week year
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))


class ScheduleError(ValueError):
    """An expression this clock cannot evaluate."""


def _field(text: str, index: int) -> set[int] | None:
    """The allowed values of one cron field; None for '?'/'*' meaning 'any'."""
    low, high = _BOUNDS[index]
    if text in ("*", "?"):
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        part, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-")
            start, end = _value(first, index), _value(last, index)
        else:
            start = _value(part, index)
            end = high if step > 1 else start
        allowed.update(range(start, end + 1, step))
    return allowed


def _value(text: str, index: int) -> int:
    names = _MONTHS if index == 3 else _DAYS if index == 4 else []
    if text.upper() in names:
        return names.index(text.upper()) + 1
    if not text.isdigit():
        raise ScheduleError(f"cron value {text!r} (L, W and # are not supported locally)")
    return int(text)


class Schedule:
    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        rate = _RATE.match(self.expression)
        self.interval: timedelta | None = None
        self.fields: list[set[int] | None] = []
        if rate:
            unit = rate.group(2).rstrip("s")
            self.interval = timedelta(seconds=int(rate.group(1)) * _UNITS[unit])
        elif self.expression.startswith("cron(") and self.expression.endswith(")"):
            parts = self.expression[5:-1].split()
            if len(parts) != 6:
                raise ScheduleError(f"{expression}: cron needs 6 fields")
            self.fields = [_field(part, i) for i, part in enumerate(parts)]
        else:
            raise ScheduleError(f"unsupported schedule expression: {expression}")

    def next_after(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return moment + self.interval
        candidate = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self._matches(candidate):
                return candidate
            candidate += timedelta(minutes=1)
        raise ScheduleError(f"{self.expression} does not fire within a year")

    def _matches(self, moment: datetime) -> bool:
        minute, hour, day, month, weekday, year = self.fields
        values = (
            (minute, moment.minute),
            (hour, moment.hour),
            (day, moment.day),
            (month, moment.month),
            (weekday, moment.isoweekday() % 7 + 1),  # SUN=1 .. SAT=7
            (year, moment.year),
        )
        return all(allowed is None or value in allowed for allowed, value in values)
