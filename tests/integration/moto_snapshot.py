"""A copy of everything the in-process moto holds, taken once the template is provisioned
and put back before each test: every test starts from the freshly provisioned stack
without provisioning it again (about 150 ms a test, a third of the integration tier).

Written against moto 5.2.5's internals: each service keeps its state in a ``BackendDict``
(account -> region -> backend object), and ``BackendDict._instances`` lists those in use.
``tests/integration/test_moto_snapshot.py`` fails loudly if a moto upgrade breaks the
isolation (an item, a queue message or a sent e-mail surviving into the next test).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import BackendDict

# Locks cannot be copied (SQS queues hold them); a copy gets fresh ones of its own.
_FRESH: dict[type, Any] = {
    type(threading.Lock()): lambda _lock, _memo: threading.Lock(),
    type(threading.RLock()): lambda _lock, _memo: threading.RLock(),
    threading.Condition: lambda _condition, _memo: threading.Condition(),
    threading.Event: lambda _event, _memo: threading.Event(),
}


@contextmanager
def _copyable_locks() -> Iterator[None]:
    dispatch: dict[type, Any] = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    saved = {kind: dispatch.get(kind) for kind in _FRESH}
    dispatch.update(_FRESH)
    try:
        yield
    finally:
        for kind, copier in saved.items():
            if copier is None:
                del dispatch[kind]
            else:
                dispatch[kind] = copier


@dataclass(frozen=True)
class Snapshot:
    # Each service's state: (its BackendDict, {account: {region: backend copy}}).
    services: tuple[tuple[BackendDict[Any], dict[str, dict[str, Any]]], ...]


def take() -> Snapshot:
    """Copy every backend moto holds now."""
    with _copyable_locks():
        services = tuple(
            (
                backends,
                {
                    account: {
                        region: copy.deepcopy(backend) for region, backend in by_region.items()
                    }
                    for account, by_region in backends.items()
                },
            )
            for backends in list(BackendDict._instances)  # type: ignore[misc]
        )
    return Snapshot(services)


def restore(snapshot: Snapshot) -> None:
    """Make moto hold exactly what it held when ``snapshot`` was taken: services used
    since are emptied, the snapshot's come back as fresh copies (the snapshot itself is
    never handed out, so it stays as taken)."""
    kept = {id(backends) for backends, _ in snapshot.services}
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        if id(backends) not in kept:
            for by_region in backends.values():
                by_region.reset()
            backends.clear()
    with _copyable_locks():
        for backends, accounts in snapshot.services:
            backends.clear()
            for account, regions in accounts.items():
                by_region = backends[account]  # registers the service as in use again
                for region, backend in regions.items():
                    by_region[region] = copy.deepcopy(backend)
