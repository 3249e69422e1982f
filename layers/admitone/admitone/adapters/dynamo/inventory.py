"""Inventory shards in the single table: creating and reading them, and the conditional
updates that move units between available, held and sold, as transaction operations
the caller puts into its own TransactWriteItems.

Item (``keys.inventory_shard``): ``entity = inventory_shard``, ``event_id``, ``owner_id``
(``tty_…`` or ``pool_…``), ``shard``, ``capacity``, ``available``, ``held``, ``sold``,
``gross_cents``, ``discount_cents``, ``fee_cents``. Every update is conditioned on the
counter it takes from, so a shard never goes below zero whatever the interleaving.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from secrets import SystemRandom
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, TransactionCancelled, put_op
from admitone.adapters.dynamo.transaction import RawItem, Transaction
from admitone.domain.catalog import MAX_SHARDS
from admitone.domain.errors import DependencyUnavailable, NotFound
from admitone.domain.inventory import (
    Allocation,
    Amounts,
    Counts,
    ShardChange,
    Stock,
    backoff_seconds,
    plan_resize,
    shard_capacities,
)
from admitone.ports.inventory import Inventory, InventoryChanges, ShardCounts, ShardWrites
from admitone.ports.staging import Staged

Op = dict[str, Any]
ENTITY = "inventory_shard"
MAX_ATTEMPTS = 10
_MONEY = ("gross_cents", "discount_cents", "fee_cents")
# Cancellation reasons that say "another writer got there first", not "your request is wrong".
_TRANSIENT_REASONS = {"None", "TransactionConflict", "ThrottlingError"}
_random = SystemRandom()


class TransactionConflict(Exception):
    """DynamoDB cancelled the transaction for a concurrent one on the same items (or a
    throttle); no condition failed, and the same operations may simply be retried."""


# ------------------------------------------------------------------- create
def new_inventory_ops(event_id: str, owner_id: str, capacity: int, shards: int) -> list[Op]:
    """One Put per shard, ``attribute_not_exists(PK)``: joins the transaction that
    creates the ticket type or pool, and fails it if the inventory already exists."""
    return [
        put_op(
            {
                **keys.inventory_shard(event_id, owner_id, number),
                "entity": ENTITY,
                "event_id": event_id,
                "owner_id": owner_id,
                "shard": number,
                "capacity": share,
                "available": share,
                "held": 0,
                "sold": 0,
                **dict.fromkeys(_MONEY, 0),
            },
            condition="attribute_not_exists(PK)",
        )
        for number, share in enumerate(shard_capacities(capacity, shards))
    ]


# --------------------------------------------------------------------- read
def shard_counts(item: Item) -> Counts:
    return Counts(
        capacity=item["capacity"],
        available=item["available"],
        held=item["held"],
        sold=item["sold"],
        **{name: item.get(name, 0) for name in _MONEY},
    )


def inventory_of(event_id: str, owners: ShardCounts) -> dict[str, Stock]:
    """The shards of every owner in ``owners`` (``None``: as many as an owner may have),
    each an item of its own: one consistent BatchGetItem of their keys (a hundred keys a
    request). An owner without shards has an empty ``Stock``."""
    wanted = [
        keys.inventory_shard(event_id, owner_id, number)
        for owner_id, count in owners.items()
        for number in range(MAX_SHARDS if count is None else count)
    ]
    shards: dict[str, dict[int, Counts]] = {owner_id: {} for owner_id in owners}
    for item in table.get_many(wanted):
        shards[item["owner_id"]][item["shard"]] = shard_counts(item)
    return {owner_id: Stock(owner_id, owned) for owner_id, owned in shards.items()}


def inventory_of_owner(event_id: str, owner_id: str, shards: int | None = None) -> Stock:
    """One ticket type's or pool's shards (``shards`` of them; ``None``: as many as it
    may have); no items = no shards."""
    return inventory_of(event_id, {owner_id: shards})[owner_id]


def counts(event_id: str, owners: ShardCounts) -> dict[str, Counts]:
    """Counters of every owner in ``owners`` that has shards, summed over them."""
    return {
        owner_id: stock.totals
        for owner_id, stock in inventory_of(event_id, owners).items()
        if stock.shards
    }


# ----------------------------------------------------------- moving units
def _move_op(
    event_id: str,
    owner_id: str,
    shard: int,
    quantity: int,
    *,
    source: str,
    target: str,
    money: Mapping[str, int] | None = None,
) -> Op:
    """``source -= q, target += q`` (and money counters += amounts), if ``source >= q``."""
    if quantity < 1:
        raise ValueError(f"cannot move {quantity} units")
    money = {name: cents for name, cents in (money or {}).items() if cents}
    assignments = ["#source = #source - :q", "#target = #target + :q"]
    names = {"#source": source, "#target": target}
    values: dict[str, Any] = {":q": quantity}
    for name, cents in money.items():
        assignments.append(f"#{name} = #{name} + :{name}")
        names[f"#{name}"] = name
        values[f":{name}"] = cents
    return table.update_op(
        keys.inventory_shard(event_id, owner_id, shard),
        "SET " + ", ".join(assignments),
        names=names,
        values=values,
        condition="#source >= :q",
    )


def hold_op(event_id: str, owner_id: str, shard: int, quantity: int) -> Op:
    """available -> held, if ``available >= quantity``."""
    return _move_op(event_id, owner_id, shard, quantity, source="available", target="held")


def release_op(event_id: str, owner_id: str, shard: int, quantity: int) -> Op:
    """held -> available, if ``held >= quantity`` (a hold expired or was cancelled)."""
    return _move_op(event_id, owner_id, shard, quantity, source="held", target="available")


def convert_op(
    event_id: str, owner_id: str, shard: int, quantity: int, amounts: Amounts | None = None
) -> Op:
    """held -> sold, if ``held >= quantity``; the sale's money is added to the statistics."""
    money = _money(amounts, sign=1)
    return _move_op(event_id, owner_id, shard, quantity, source="held", target="sold", money=money)


def restock_op(
    event_id: str, owner_id: str, shard: int, quantity: int, amounts: Amounts | None = None
) -> Op:
    """sold -> available, if ``sold >= quantity`` (a refund); ``amounts`` are subtracted."""
    money = _money(amounts, sign=-1)
    return _move_op(
        event_id, owner_id, shard, quantity, source="sold", target="available", money=money
    )


def sell_op(
    event_id: str, owner_id: str, shard: int, quantity: int, amounts: Amounts | None = None
) -> Op:
    """available -> sold, if ``available >= quantity`` (a late payment re-takes its seats)."""
    money = _money(amounts, sign=1)
    return _move_op(
        event_id, owner_id, shard, quantity, source="available", target="sold", money=money
    )


def _money(amounts: Amounts | None, *, sign: int) -> dict[str, int]:
    if amounts is None:
        return {}
    return {name: sign * getattr(amounts, name) for name in _MONEY}


def hold_ops(event_id: str, allocation: Allocation) -> list[Op]:
    """available -> held for every shard of ``allocation``."""
    return _per_shard(lambda e, o, s, q, _: hold_op(e, o, s, q), event_id, allocation, {})


def release_ops(event_id: str, allocation: Allocation) -> list[Op]:
    """held -> available for every shard of ``allocation``."""
    return _per_shard(lambda e, o, s, q, _: release_op(e, o, s, q), event_id, allocation, {})


def convert_ops(
    event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
) -> list[Op]:
    """held -> sold for every shard of ``allocation``; ``amounts[ticket_type_id]`` goes on
    that type's first shard (pools keep counts only, so sums over an event are not doubled)."""
    return _per_shard(convert_op, event_id, allocation, amounts or {})


def sell_ops(
    event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
) -> list[Op]:
    """available -> sold for every shard of ``allocation``; ``amounts`` as in ``convert_ops``."""
    return _per_shard(sell_op, event_id, allocation, amounts or {})


def restock_ops(
    event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
) -> list[Op]:
    """sold -> available for every shard of ``allocation``; ``amounts`` as in ``convert_ops``."""
    return _per_shard(restock_op, event_id, allocation, amounts or {})


def _per_shard(
    build: Callable[[str, str, int, int, Amounts | None], Op],
    event_id: str,
    allocation: Allocation,
    amounts: Mapping[str, Amounts],
) -> list[Op]:
    """One ``build`` per (owner, shard) of ``allocation``; an owner's amounts go on its first."""
    return [op for _, _, op in _shard_ops(build, event_id, allocation, amounts)]


def _shard_ops(
    build: Callable[[str, str, int, int, Amounts | None], Op],
    event_id: str,
    allocation: Allocation,
    amounts: Mapping[str, Amounts],
) -> list[tuple[str, int, Op]]:
    ops: list[tuple[str, int, Op]] = []
    for owner_id, per_shard in allocation.by_owner().items():
        money = amounts.get(owner_id)
        for shard, quantity in sorted(per_shard.items()):
            ops.append((owner_id, shard, build(event_id, owner_id, shard, quantity, money)))
            money = None
    return ops


# ------------------------------------------------------------- transactions
def transact(ops: Sequence[Op]) -> None:
    """``table.transact``, with a cancellation in which no condition failed (a
    concurrent transaction on the same items, a throttle) raised as ``TransactionConflict``."""
    try:
        table.transact(ops)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = {r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])}
        if not reasons <= _TRANSIENT_REASONS:
            raise
        raise TransactionConflict(sorted(reasons)) from None


def failed_extra(cancelled: TransactionCancelled, extras: int) -> int | None:
    """The index of the first of the leading ``extras`` operations whose condition failed."""
    return next((index for index in range(extras) if cancelled.failed(index)), None)


def raise_for_extras(
    cancelled: TransactionCancelled, extras: int, errors: Mapping[int, Exception] | None
) -> None:
    """If one of the leading ``extras`` operations failed its condition: raise
    ``errors[index]`` when the caller mapped it, else ``cancelled`` itself (whose
    ``reasons`` then line up with the caller's own operations first)."""
    index = failed_extra(cancelled, extras)
    if index is None:
        return
    if errors and index in errors:
        raise errors[index] from None
    raise cancelled


# ------------------------------------------------------------------- resize
def resize_ops(event_id: str, owner_id: str, changes: Sequence[ShardChange]) -> list[Op]:
    """capacity and available += delta per shard, if capacity is still what was planned
    from and available stays >= 0."""
    return [
        table.update_op(
            keys.inventory_shard(event_id, owner_id, change.shard),
            "SET #capacity = #capacity + :delta, #available = #available + :delta",
            names={"#capacity": "capacity", "#available": "available"},
            values={":delta": change.delta, ":seen": change.capacity, ":floor": -change.delta},
            condition="#capacity = :seen AND #available >= :floor",
        )
        for change in changes
    ]


def resize(
    event_id: str,
    owner_id: str,
    new_capacity: int,
    *,
    shards: int | None = None,
    extra_ops: Sequence[Op] = (),
    errors: Mapping[int, Exception] | None = None,
    rng: random.Random | None = None,
) -> Counts:
    """Set a ticket type's or pool's capacity: one transaction of ``extra_ops`` (first,
    e.g. the ticket type item's own ``capacity``) and the shard updates of ``plan_resize``.

    A lost race (a hold or another resize moved a shard) re-reads and re-plans, up to
    ``MAX_ATTEMPTS`` times with jittered backoff. ``shards``: the owner's shard count as
    its catalog item says (``None``: every shard it may have is read). Raises
    ``CapacityBelowCommitted`` when sold + held exceed ``new_capacity``, ``NotFound`` when
    the owner has no shards, ``DependencyUnavailable`` when every attempt lost; a failed
    extra as ``raise_for_extras``.
    Returns the counters as last read, with the resize applied.
    """
    rng = rng or _random
    for attempt in range(MAX_ATTEMPTS):
        stock = inventory_of_owner(event_id, owner_id, shards)
        if not stock.shards:
            raise NotFound("The ticket type or pool has no inventory.")
        changes = plan_resize(stock, new_capacity)
        ops = [*extra_ops, *resize_ops(event_id, owner_id, changes)]
        try:
            if ops:
                transact(ops)
        except TransactionCancelled as cancelled:
            raise_for_extras(cancelled, len(extra_ops), errors)
        except TransactionConflict:
            pass
        else:
            delta = sum(change.delta for change in changes)
            return stock.totals + Counts(capacity=delta, available=delta)
        time.sleep(backoff_seconds(attempt, rng))
    raise DependencyUnavailable("The inventory is busy; try again.")


# ------------------------------------------------------------------- ports
def _counts_of(raw: RawItem) -> Counts:
    return shard_counts(table.from_attributes(raw))


class DynamoInventory(Inventory):
    def of_owners(self, event_id: str, owners: ShardCounts) -> dict[str, Stock]:
        return inventory_of(event_id, owners)


class DynamoInventoryChanges(InventoryChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def _stage(
        self,
        build: Callable[[str, str, int, int, Amounts | None], Op],
        event_id: str,
        allocation: Allocation,
        amounts: Mapping[str, Amounts] | None,
    ) -> ShardWrites:
        staged: ShardWrites = []
        for owner_id, shard, op in _shard_ops(build, event_id, allocation, amounts or {}):
            name = f"shard {owner_id}#{shard}"
            self._transaction.stage(name, op, decode=_counts_of)
            staged.append(Staged(name))
        return staged

    def hold(self, event_id: str, allocation: Allocation) -> ShardWrites:
        return self._stage(lambda e, o, s, q, _: hold_op(e, o, s, q), event_id, allocation, None)

    def release(self, event_id: str, allocation: Allocation) -> ShardWrites:
        return self._stage(lambda e, o, s, q, _: release_op(e, o, s, q), event_id, allocation, None)

    def convert(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._stage(convert_op, event_id, allocation, amounts)

    def sell(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._stage(sell_op, event_id, allocation, amounts)

    def restock(
        self, event_id: str, allocation: Allocation, amounts: Mapping[str, Amounts] | None = None
    ) -> ShardWrites:
        return self._stage(restock_op, event_id, allocation, amounts)
