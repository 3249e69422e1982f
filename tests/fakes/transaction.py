"""The fake's all-or-nothing commit: check every staged write, then apply them all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from admitone.adapters.dynamo.transaction import MAX_ITEMS
from admitone.ports.unit_of_work import ChangeRefused


@dataclass(frozen=True)
class _Staged:
    name: str
    holds: Callable[[], bool]
    apply: Callable[[], None]
    error: Exception | None


class FakeTransaction:
    """As ``adapters.dynamo.transaction.Transaction``: each write is staged under a name
    with the condition it needs (``holds``), what it does (``apply``) and the error its
    failing condition stands for; ``commit`` raises the first failing one's error."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._staged: list[_Staged] = []
        self._committed = False

    def stage(
        self,
        name: str,
        *,
        holds: Callable[[], bool],
        apply: Callable[[], None],
        error: Exception | None = None,
    ) -> None:
        if self._committed:
            raise RuntimeError("a committed unit of work takes no more writes")
        self._staged.append(_Staged(name, holds, apply, error))

    @property
    def names(self) -> list[str]:
        return [staged.name for staged in self._staged]

    def commit(self) -> None:
        if self._committed:
            raise RuntimeError("a unit of work commits once")
        if len(self._staged) > MAX_ITEMS:
            raise ValueError(f"{len(self._staged)} writes exceed a transaction's {MAX_ITEMS}")
        with self._lock:
            for staged in self._staged:
                if not staged.holds():
                    raise staged.error or ChangeRefused(staged.name)
            for staged in self._staged:
                staged.apply()
        self._committed = True
