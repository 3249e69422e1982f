"""The fake's all-or-nothing commit: check every staged write, then apply them all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from admitone.adapters.dynamo.transaction import MAX_ITEMS
from admitone.ports.staging import ChangeRefused


@dataclass(frozen=True)
class _Staged:
    name: str
    holds: Callable[[], bool]
    apply: Callable[[], None]
    error: Exception | None
    as_was: Callable[[], object | None] | None


class FakeTransaction:
    """As ``adapters.dynamo.transaction.Transaction``: each write is staged under a name
    with the condition it needs (``holds``), what it does (``apply``), and either the
    error its failing condition stands for or how to read its item as it was
    (``as_was``); ``commit`` checks every condition against the state before any write,
    as DynamoDB does, and refuses with every failed write by name."""

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
        as_was: Callable[[], object | None] | None = None,
    ) -> None:
        if self._committed:
            raise RuntimeError("a committed unit of work takes no more writes")
        if name in self.names:
            raise ValueError(f"a write named {name!r} is staged already")
        self._staged.append(_Staged(name, holds, apply, error, as_was))

    @property
    def names(self) -> list[str]:
        return [staged.name for staged in self._staged]

    def commit(self) -> None:
        if self._committed:
            raise RuntimeError("a unit of work commits once")
        if len(self._staged) > MAX_ITEMS:
            raise ValueError(f"{len(self._staged)} writes exceed a transaction's {MAX_ITEMS}")
        with self._lock:
            failed = [staged for staged in self._staged if not staged.holds()]
            if failed:
                refused = ChangeRefused(
                    {staged.name: staged.as_was() if staged.as_was else None for staged in failed}
                )
                if failed[0].error is not None:
                    raise failed[0].error from refused
                raise refused
            for staged in self._staged:
                staged.apply()
        self._committed = True
