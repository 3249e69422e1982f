"""Inventory use cases the checkout calls: hold, release, convert, restock. Each is ONE
TransactWriteItems holding the caller's own operations first (the order, a voucher
redemption), then one conditional update per shard touched.

``errors`` maps the index of a caller's operation to the exception to raise when its
condition fails (e.g. ``{1: VoucherExhausted(...)}``); an unmapped failure re-raises
``TransactionCancelled``, whose ``reasons`` then start with the caller's operations.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from secrets import SystemRandom
from typing import Any

from admitone.adapters.dynamo import inventory as store
from admitone.adapters.dynamo.table import TransactionCancelled
from admitone.domain.catalog import TicketType
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.inventory import Allocation, Amounts, Stock, backoff_seconds, plan_hold
from admitone.observability import logger

Op = dict[str, Any]
# The caller's operations, or a function of the allocation that builds them (an order
# item recording which shards hold its units is rebuilt whenever a retry re-plans).
ExtraOps = Sequence[Op] | Callable[[Allocation], Sequence[Op]]
MAX_ATTEMPTS = 10
_random = SystemRandom()


def hold(
    event_id: str,
    lines: Sequence[tuple[TicketType, int]],
    *,
    extra_ops: ExtraOps = (),
    errors: Mapping[int, Exception] | None = None,
    rng: random.Random | None = None,
    stock: Mapping[str, Stock] | None = None,
) -> Allocation:
    """Hold ``lines`` (available -> held on each type and, for a pooled type, its pool)
    in one transaction with ``extra_ops``; returns where the units came from.

    Reads the shards (consistent; the first plan may use ``stock``, the caller's own
    consistent read of them), plans, writes. A shard that ran dry meanwhile (or a
    conflicting transaction) re-reads and re-plans: up to ``MAX_ATTEMPTS`` writes with
    jittered backoff. Raises ``SoldOut`` only when a read shows the units are not there,
    ``DependencyUnavailable`` when every attempt lost a race, an extra's failure as above.
    """
    return _take(
        event_id, lines, store.hold_ops, extra_ops=extra_ops, errors=errors, rng=rng, stock=stock
    )


def sell(
    event_id: str,
    lines: Sequence[tuple[TicketType, int]],
    amounts: Mapping[str, Amounts],
    *,
    extra_ops: ExtraOps = (),
    errors: Mapping[int, Exception] | None = None,
) -> Allocation:
    """Take ``lines`` straight from available to sold (a payment that arrived after its
    hold was released), as ``hold`` does, adding ``amounts`` to the sales statistics."""
    return _take(
        event_id,
        lines,
        lambda event, allocation: store.sell_ops(event, allocation, amounts),
        extra_ops=extra_ops,
        errors=errors,
    )


def _take(
    event_id: str,
    lines: Sequence[tuple[TicketType, int]],
    shard_ops: Callable[[str, Allocation], list[Op]],
    *,
    extra_ops: ExtraOps,
    errors: Mapping[int, Exception] | None,
    rng: random.Random | None = None,
    stock: Mapping[str, Stock] | None = None,
) -> Allocation:
    rng = rng or _random
    owners = list(dict.fromkeys(owner for tt, _ in lines for owner in (tt.id, tt.pool_id) if owner))

    def plan() -> Allocation:
        fresh = {owner: store.inventory_of_owner(event_id, owner) for owner in owners}
        return plan_hold(lines, fresh, rng=rng)  # SoldOut, from a fresh read

    for attempt in range(MAX_ATTEMPTS):
        # The caller's own consistent read of the shards, if it has one, saves the first.
        known = stock if attempt == 0 and stock and all(o in stock for o in owners) else None
        allocation = plan_hold(lines, known, rng=rng) if known else plan()
        extras = list(extra_ops(allocation) if callable(extra_ops) else extra_ops)
        try:
            store.transact([*extras, *shard_ops(event_id, allocation)])
        except TransactionCancelled as cancelled:
            store.raise_for_extras(cancelled, len(extras), errors)
        except store.TransactionConflict:
            pass
        else:
            return allocation
        time.sleep(backoff_seconds(attempt, rng))
    plan()  # every attempt lost: sold out if a last read says so, else busy
    logger.warning("inventory hold lost every race", extra={"attempts": MAX_ATTEMPTS})
    raise DependencyUnavailable("The inventory is busy; try again.")


def release(
    event_id: str,
    allocation: Allocation,
    *,
    extra_ops: Sequence[Op] = (),
    errors: Mapping[int, Exception] | None = None,
) -> None:
    """held -> available on the shards of ``allocation``, with ``extra_ops``, in one
    transaction (a hold expired or the order was cancelled)."""
    _write(store.release_ops(event_id, allocation), extra_ops, errors)


def convert(
    event_id: str,
    allocation: Allocation,
    amounts: Mapping[str, Amounts] | None = None,
    *,
    extra_ops: Sequence[Op] = (),
    errors: Mapping[int, Exception] | None = None,
) -> None:
    """held -> sold on the shards of ``allocation``, adding ``amounts[ticket_type_id]`` to
    that type's sales statistics, with ``extra_ops``, in one transaction (order paid)."""
    _write(store.convert_ops(event_id, allocation, amounts), extra_ops, errors)


def restock(
    event_id: str,
    allocation: Allocation,
    amounts: Mapping[str, Amounts] | None = None,
    *,
    extra_ops: Sequence[Op] = (),
    errors: Mapping[int, Exception] | None = None,
) -> None:
    """sold -> available on the shards of ``allocation`` (or a ``LineHold.portion`` of it),
    subtracting ``amounts`` from the statistics, with ``extra_ops``, in one transaction."""
    _write(store.restock_ops(event_id, allocation, amounts), extra_ops, errors)


def _write(
    shard_ops: Sequence[Op], extra_ops: Sequence[Op], errors: Mapping[int, Exception] | None
) -> None:
    """One transaction, retried only on a conflict (the operations do not depend on a
    read). A shard condition failing means the allocation does not match the shards (a
    double release): ``TransactionCancelled`` is raised, it is a bug, not an outcome."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            store.transact([*extra_ops, *shard_ops])
        except TransactionCancelled as cancelled:
            store.raise_for_extras(cancelled, len(extra_ops), errors)
            raise
        except store.TransactionConflict:
            time.sleep(backoff_seconds(attempt, _random))
        else:
            return
    raise DependencyUnavailable("The inventory is busy; try again.")
