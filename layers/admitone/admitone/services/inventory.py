"""Taking seats from the shards (hold, or sell for a late payment): plan where the units
come from, stage the shard writes beside the caller's own in one unit of work, commit.

The caller stages its own writes (the order, the buyer's standing, a voucher
redemption) with ``also(uow, allocation)``, rebuilt on every attempt since the order
records which shards hold its units. When only shard writes are refused (a shard ran
dry meanwhile) or another writer contended, the shards are read again and the hold
re-planned; when one of the caller's writes is refused, ``ChangeRefused`` goes back to
the caller, who reads it by name. Moving units the caller already took (release,
convert, restock) is staged by the caller straight on ``uow.inventory``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from secrets import SystemRandom

from admitone.domain.catalog import TicketType
from admitone.domain.errors import Contention, DependencyUnavailable
from admitone.domain.inventory import Allocation, Amounts, Stock, backoff_seconds, plan_hold
from admitone.observability import logger
from admitone.ports.inventory import ShardWrites
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused, UnitOfWork

MAX_ATTEMPTS = 10
Lines = Sequence[tuple[TicketType, int]]
# The caller's own writes, staged into each attempt's unit of work.
AlsoStage = Callable[[UnitOfWork, Allocation], object]
_random = SystemRandom()


def _owners(lines: Lines) -> dict[str, int | None]:
    """The types' and their pools' shard counts: a type carries its own, not its pool's."""
    owners: dict[str, int | None] = {}
    for ticket_type, _ in lines:
        owners[ticket_type.id] = ticket_type.shards
        if ticket_type.pool_id:
            owners.setdefault(ticket_type.pool_id, None)
    return owners


def plan(
    store: Store,
    event_id: str,
    lines: Lines,
    *,
    stock: Mapping[str, Stock] | None = None,
    rng: random.Random | None = None,
) -> Allocation:
    """Where ``lines`` would come from: planned from ``stock`` (the caller's own
    consistent read of the shards) when it covers them, else from a fresh read. Raises
    ``SoldOut`` when the read shows the units are not there."""
    owners = _owners(lines)
    if stock is None or not all(owner in stock for owner in owners):
        stock = store.inventory.of_owners(event_id, owners)
    return plan_hold(lines, stock, rng=rng or _random)


def hold(
    store: Store,
    event_id: str,
    lines: Lines,
    *,
    also: AlsoStage | None = None,
    first: Allocation | None = None,
    rng: random.Random | None = None,
) -> Allocation:
    """Hold ``lines`` (available -> held on each type and, for a pooled type, its pool)
    in one unit of work with ``also``; returns where the units came from.

    The first attempt writes ``first`` (a ``plan`` the caller made) when given; a shard
    that ran dry meanwhile (or a contending writer) re-reads and re-plans: up to
    ``MAX_ATTEMPTS`` commits with jittered backoff. Raises ``SoldOut`` only when a read
    shows the units are not there, ``DependencyUnavailable`` when every attempt lost a
    race, ``ChangeRefused`` when one of ``also``'s writes was refused.
    """
    return _take(
        store,
        event_id,
        lines,
        lambda uow, allocation: uow.inventory.hold(event_id, allocation),
        also=also,
        first=first,
        rng=rng,
    )


def sell(
    store: Store,
    event_id: str,
    lines: Lines,
    amounts: Mapping[str, Amounts],
    *,
    also: AlsoStage | None = None,
    rng: random.Random | None = None,
) -> Allocation:
    """Take ``lines`` straight from available to sold (a payment that arrived after its
    hold was released), as ``hold`` does, adding ``amounts`` to the sales statistics."""
    return _take(
        store,
        event_id,
        lines,
        lambda uow, allocation: uow.inventory.sell(event_id, allocation, amounts),
        also=also,
        rng=rng,
    )


def _take(
    store: Store,
    event_id: str,
    lines: Lines,
    take: Callable[[UnitOfWork, Allocation], ShardWrites],
    *,
    also: AlsoStage | None,
    first: Allocation | None = None,
    rng: random.Random | None = None,
) -> Allocation:
    rng = rng or _random
    for attempt in range(MAX_ATTEMPTS):
        allocation = first if attempt == 0 and first else plan(store, event_id, lines, rng=rng)
        uow = store.unit_of_work()
        if also is not None:
            also(uow, allocation)
        shards = {staged.name for staged in take(uow, allocation)}
        try:
            uow.commit()
        except ChangeRefused as refused:
            if not set(refused.failed) <= shards:
                raise  # one of the caller's writes: the caller knows what it means
        except Contention:
            pass
        else:
            return allocation
        time.sleep(backoff_seconds(attempt, rng))
    plan(store, event_id, lines, rng=rng)  # every attempt lost: sold out if a read says so
    logger.warning("inventory hold lost every race", extra={"attempts": MAX_ATTEMPTS})
    raise DependencyUnavailable("The inventory is busy; try again.")


def pause(attempt: int) -> None:
    """The jittered backoff before attempt ``attempt + 1`` of a unit of work that lost to
    a contending writer."""
    time.sleep(backoff_seconds(attempt, _random))
