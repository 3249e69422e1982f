"""Inventory as sharded counters: which shards a hold takes its units from, how a
resize spreads or takes capacity, and the sums availability is read from.

Invariants:
- Every shard keeps ``available + held + sold == capacity``, each counter >= 0. A plan
  never takes more from a shard than the counters it was made from show; the write's
  condition (``available >= :q``) is what makes that still true when it lands.
- A plan takes exactly the quantity asked for, or raises ``SoldOut``.
- A ticket type that belongs to a capacity pool takes the same units from both.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from admitone.domain.catalog import TicketType
from admitone.domain.errors import CapacityBelowCommitted, SoldOut
from admitone.domain.money import allocate

# After a lost race: full jitter under a doubling ceiling. Short, because each retry
# re-reads the shards anyway and the whole loop must fit inside an API call.
BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.2


@dataclass(frozen=True)
class Counts:
    """The counters of one shard, or their sums over shards (see ``total``).

    The money counters are statistics of converted sales; only their sums per owner
    mean anything (a restock may subtract from a different shard than the sale added to).
    """

    capacity: int = 0
    available: int = 0
    held: int = 0
    sold: int = 0
    gross_cents: int = 0
    discount_cents: int = 0
    fee_cents: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def committed(self) -> int:
        """Units a capacity can no longer take back: sold or held."""
        return self.held + self.sold

    @property
    def consistent(self) -> bool:
        """The shard invariant: available + held + sold == capacity, none negative."""
        counters = (self.available, self.held, self.sold)
        return min(counters) >= 0 and sum(counters) == self.capacity


def total(counts: Iterable[Counts]) -> Counts:
    return sum(counts, Counts())


@dataclass(frozen=True)
class Stock:
    """The shards of one owner (a ticket type ``tty_…`` or a capacity pool ``pool_…``)."""

    owner_id: str
    shards: Mapping[int, Counts]

    @property
    def totals(self) -> Counts:
        return total(self.shards.values())

    def units(self, counter: str = "available") -> list[tuple[int, int]]:
        """``(shard, units)`` of one counter, by shard number."""
        return [(number, getattr(self.shards[number], counter)) for number in sorted(self.shards)]


@dataclass(frozen=True)
class Amounts:
    """Money of a sale, added to its ticket type's statistics when a hold converts."""

    gross_cents: int = 0
    discount_cents: int = 0
    fee_cents: int = 0


def shard_capacities(capacity: int, shards: int) -> list[int]:
    """Each shard's share of ``capacity``: as even as integers allow, summing exactly."""
    return allocate(capacity, [1] * shards)


# -------------------------------------------------------------------- holds
@dataclass(frozen=True)
class Take:
    shard: int
    quantity: int


Takes = tuple[Take, ...]


@dataclass(frozen=True)
class LineHold:
    """Where one ticket type's units were taken from: its own shards and its pool's."""

    ticket_type_id: str
    quantity: int
    shards: Takes
    pool_id: str | None = None
    pool_shards: Takes = ()

    def portion(self, quantity: int) -> LineHold:
        """The first ``quantity`` units of this line, to release or restock part of it."""
        return self.units(0, quantity)

    def units(self, start: int, quantity: int) -> LineHold:
        """Units ``start`` to ``start + quantity - 1`` of this line, from the shards they
        were taken from: refunds give a line's seats back a few at a time, never the
        same unit twice."""
        if start < 0 or not 1 <= quantity <= self.quantity - start:
            raise ValueError(
                f"units {start} to {start + quantity - 1} of a line of {self.quantity}"
            )
        return LineHold(
            self.ticket_type_id,
            quantity,
            _deal(self.shards, [start, quantity])[1],
            self.pool_id,
            _deal(self.pool_shards, [start, quantity])[1] if self.pool_id else (),
        )


@dataclass(frozen=True)
class Allocation:
    """What a hold took, line by line; the order keeps it (``to_plain``) so that its
    release, conversion and restock touch the shards that hold its units."""

    lines: tuple[LineHold, ...]

    def by_owner(self) -> dict[str, dict[int, int]]:
        """Units per owner and shard, merged over lines: one write per shard item
        (two types of one pool may have taken from the same pool shard)."""
        merged: dict[str, dict[int, int]] = {}
        for line in self.lines:
            owned = [(line.ticket_type_id, line.shards)]
            if line.pool_id:
                owned.append((line.pool_id, line.pool_shards))
            for owner_id, takes in owned:
                per_shard = merged.setdefault(owner_id, {})
                for take in takes:
                    per_shard[take.shard] = per_shard.get(take.shard, 0) + take.quantity
        return merged

    def to_plain(self) -> list[dict[str, Any]]:
        """Lists, strings and ints only: storable in an order item."""
        plain: list[dict[str, Any]] = []
        for line in self.lines:
            entry: dict[str, Any] = {
                "ticket_type_id": line.ticket_type_id,
                "quantity": line.quantity,
                "shards": [[take.shard, take.quantity] for take in line.shards],
            }
            if line.pool_id:
                entry["pool_id"] = line.pool_id
                entry["pool_shards"] = [[take.shard, take.quantity] for take in line.pool_shards]
            plain.append(entry)
        return plain

    @classmethod
    def from_plain(cls, plain: Sequence[Mapping[str, Any]]) -> Allocation:
        return cls(
            tuple(
                LineHold(
                    ticket_type_id=entry["ticket_type_id"],
                    quantity=int(entry["quantity"]),
                    shards=tuple(Take(int(s), int(q)) for s, q in entry["shards"]),
                    pool_id=entry.get("pool_id"),
                    pool_shards=tuple(
                        Take(int(s), int(q)) for s, q in entry.get("pool_shards", ())
                    ),
                )
                for entry in plain
            )
        )


def plan_take(
    units: Sequence[tuple[int, int]], quantity: int, *, ticket_type_id: str, rng: random.Random
) -> Takes:
    """Which shards ``quantity`` units come from, given ``(shard, available)`` pairs.

    One shard that covers it all when there is one, picked at random so that concurrent
    buyers spread over the shards; otherwise several, in random order, each emptied
    before the next. Raises ``SoldOut`` (naming ``ticket_type_id``) when the shards
    together have fewer than ``quantity``.
    """
    if quantity < 1:
        raise ValueError(f"cannot take {quantity} units")
    stocked = [(shard, available) for shard, available in units if available > 0]
    if sum(available for _, available in stocked) < quantity:
        raise SoldOut("Not enough tickets are left.", ticket_type_id=ticket_type_id)
    rng.shuffle(stocked)
    for shard, available in stocked:
        if available >= quantity:
            return (Take(shard, quantity),)
    takes: list[Take] = []
    remaining = quantity
    pieces = iter(stocked)
    while remaining:
        shard, available = next(pieces)
        part = min(available, remaining)
        takes.append(Take(shard, part))
        remaining -= part
    return tuple(takes)


def plan_hold(
    lines: Sequence[tuple[TicketType, int]], stock: Mapping[str, Stock], *, rng: random.Random
) -> Allocation:
    """Shards for every line, from its ticket type and, for a pooled type, its pool.

    Lines of the same type are merged; the types of one pool take from it together
    (the pool is planned once for their sum, then dealt out line by line). ``stock``
    needs every type and pool involved; a missing one has nothing available. Raises
    ``SoldOut`` naming the type that cannot be served (for a pool: its first type here).
    """
    wanted: dict[str, int] = {}
    types: dict[str, TicketType] = {}
    for ticket_type, quantity in lines:
        if quantity < 1:
            raise ValueError(f"cannot hold {quantity} of {ticket_type.id}")
        wanted[ticket_type.id] = wanted.get(ticket_type.id, 0) + quantity
        types.setdefault(ticket_type.id, ticket_type)
    if not wanted:
        raise ValueError("nothing to hold")

    def available(owner_id: str) -> list[tuple[int, int]]:
        return stock[owner_id].units() if owner_id in stock else []

    own = {
        type_id: plan_take(available(type_id), quantity, ticket_type_id=type_id, rng=rng)
        for type_id, quantity in wanted.items()
    }
    members: dict[str, list[str]] = {}
    for type_id, ticket_type in types.items():
        if ticket_type.pool_id:
            members.setdefault(ticket_type.pool_id, []).append(type_id)
    pooled: dict[str, Takes] = {}
    for pool_id, type_ids in members.items():
        quantities = [wanted[type_id] for type_id in type_ids]
        takes = plan_take(available(pool_id), sum(quantities), ticket_type_id=type_ids[0], rng=rng)
        pooled.update(zip(type_ids, _deal(takes, quantities), strict=True))
    return Allocation(
        tuple(
            LineHold(
                type_id, quantity, own[type_id], types[type_id].pool_id, pooled.get(type_id, ())
            )
            for type_id, quantity in wanted.items()
        )
    )


def _deal(takes: Takes, quantities: Sequence[int]) -> list[Takes]:
    """Split ``takes`` into consecutive runs of ``quantities`` units (sum <= their total)."""
    queue = list(takes)
    runs: list[Takes] = []
    for quantity in quantities:
        run: list[Take] = []
        owed = quantity
        while owed:
            head = queue[0]
            part = min(head.quantity, owed)
            run.append(Take(head.shard, part))
            owed -= part
            if part == head.quantity:
                queue.pop(0)
            else:
                queue[0] = Take(head.shard, head.quantity - part)
        runs.append(tuple(run))
    return runs


# ------------------------------------------------------------------- resize
@dataclass(frozen=True)
class ShardChange:
    """Add ``delta`` to a shard's capacity and available (negative: taken from available).

    ``capacity`` is the shard's capacity the change was planned from: the write is
    conditioned on it, so two resizes racing cannot both apply.
    """

    shard: int
    capacity: int
    delta: int


def plan_resize(stock: Stock, new_capacity: int) -> tuple[ShardChange, ...]:
    """The per-shard changes that bring ``stock`` to ``new_capacity`` (none if equal).

    More capacity is spread evenly over the shards; less is taken from ``available``
    only, in proportion to what each shard has, never below zero. Raises
    ``CapacityBelowCommitted`` when ``new_capacity`` < sold + held.
    """
    if not stock.shards:
        raise ValueError(f"{stock.owner_id} has no inventory shards")
    totals = stock.totals
    if new_capacity < totals.committed:
        raise CapacityBelowCommitted(
            f"{totals.committed} tickets are sold or held; the capacity cannot go below that."
        )
    numbers = sorted(stock.shards)
    change = new_capacity - totals.capacity
    if change >= 0:
        deltas = allocate(change, [1] * len(numbers))
    else:
        taken = allocate(-change, [stock.shards[n].available for n in numbers])
        deltas = [-part for part in taken]
    return tuple(
        ShardChange(number, stock.shards[number].capacity, delta)
        for number, delta in zip(numbers, deltas, strict=True)
        if delta
    )


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """Pause before retry ``attempt`` (0-based): uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))
