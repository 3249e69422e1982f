"""Staged writes by name, and the refusal that hands failed items back by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast


@dataclass(frozen=True)
class Staged[T]:
    """A write staged in a unit of work, by its name; ``T`` is what its item decodes to
    when ``ChangeRefused`` hands it back."""

    name: str


class ChangeRefused(Exception):
    """Staged writes' conditions failed: nothing was written. ``failed`` maps each failed
    write's name, in staging order, to its item as it was (None: there was none)."""

    def __init__(self, failed: Mapping[str, object | None]) -> None:
        if not failed:
            raise ValueError("a refusal names at least one write")
        self.failed = dict(failed)
        self.name = next(iter(self.failed))
        super().__init__(f"the change was refused at {', '.join(map(repr, self.failed))}")

    def refused(self, *staged: Staged[Any]) -> bool:
        """Whether any of ``staged`` failed its condition."""
        return any(one.name in self.failed for one in staged)

    def as_was[T](self, staged: Staged[T]) -> T | None:
        """The item of a failed write as it was (None when it did not exist)."""
        if staged.name not in self.failed:
            raise KeyError(f"{staged.name!r} did not fail")
        return cast("T | None", self.failed[staged.name])
