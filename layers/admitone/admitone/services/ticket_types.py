"""Ticket types and capacity pools, each with its sharded inventory."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import catalog, keys
from admitone.adapters.dynamo import inventory as inventory_store
from admitone.adapters.dynamo.table import check_op, transact
from admitone.domain.accounts import Principal
from admitone.domain.catalog import (
    CapacityPool,
    EventStatus,
    TicketType,
    check_capacity,
    check_ticket_type,
)
from admitone.domain.errors import (
    FieldError,
    InvalidTransition,
    NotFound,
    PriceFrozen,
    ValidationFailed,
)
from admitone.domain.ids import Prefix, new_id
from admitone.domain.money import Currency
from admitone.domain.pricing import all_in_price
from admitone.services.catalog_access import event_of, owned_event
from admitone.services.events import price_range
from admitone.services.quote import fee_tier_at

_OPEN = (EventStatus.DRAFT, EventStatus.PUBLISHED)


@dataclass(frozen=True)
class OfferedTicketType:
    """A ticket type as its organizer sets it, with the all-in price its buyers are shown
    (the price with every mandatory fee at the venue's tier: domain/pricing.all_in_price)."""

    ticket_type: TicketType
    all_in_price_cents: int


def _offered(partition: catalog.EventPartition, ticket_type: TicketType) -> OfferedTicketType:
    event = event_of(partition)
    all_in = all_in_price(
        ticket_type.price_cents, fee_tier=fee_tier_at(event.venue_id), nft=event.nft_enabled
    )
    return OfferedTicketType(ticket_type, all_in_price_cents=all_in)


def _require_open(partition: catalog.EventPartition) -> None:
    status = event_of(partition).status
    if status not in _OPEN:
        raise InvalidTransition(f"The event is {status.value}; its tickets cannot change.")


def _refresh_price_range(event_id: str) -> None:
    catalog.set_price_range(event_id, price_range(catalog.event_partition(event_id)))


def create_ticket_type(
    event_id: str,
    caller: Principal,
    *,
    name: str,
    price_cents: int,
    currency: Currency,
    capacity: int,
    max_per_order: int = 4,
    max_scans: int = 1,
    sales_start: datetime | None = None,
    sales_end: datetime | None = None,
    hidden: bool = False,
    shards: int = 1,
    pool_id: str | None = None,
    now: datetime | None = None,
) -> OfferedTicketType:
    partition = owned_event(event_id, caller)
    _require_open(partition)
    if pool_id is not None and pool_id not in partition.pools:
        raise NotFound(
            "No such capacity pool.",
            errors=(FieldError("pool_id", "not a pool of this event", "UNKNOWN"),),
        )
    ticket_type = TicketType(
        id=new_id(Prefix.TICKET_TYPE, now=now or datetime.now(UTC)),
        event_id=event_id,
        name=name,
        price_cents=price_cents,
        currency=currency,
        capacity=capacity,
        max_per_order=max_per_order,
        max_scans=max_scans,
        sales_start=sales_start,
        sales_end=sales_end,
        hidden=hidden,
        shards=shards,
        pool_id=pool_id,
    )
    check_ticket_type(ticket_type, event_of(partition))
    transact(
        [
            catalog.event_status_check_op(event_id, _OPEN),
            *catalog.ticket_type_ops(
                ticket_type,
                inventory_store.new_inventory_ops(event_id, ticket_type.id, capacity, shards),
            ),
        ]
    )
    _refresh_price_range(event_id)
    return _offered(partition, ticket_type)


def update_ticket_type(
    event_id: str, ticket_type_id: str, caller: Principal, changes: dict[str, Any]
) -> OfferedTicketType:
    """Change a ticket type in one transaction. The price is frozen once anything is sold
    or held (a condition on every shard); the capacity never drops below sold + held (the
    shard updates' conditions). Price and capacity change in separate requests: one
    transaction cannot both check and update the same shard."""
    partition = owned_event(event_id, caller)
    _require_open(partition)
    current = partition.ticket_types.get(ticket_type_id)
    if current is None:
        raise NotFound("No such ticket type.")
    updated = replace(current, **changes)
    check_ticket_type(updated, event_of(partition))
    price_changes = updated.price_cents != current.price_cents
    if price_changes and updated.capacity != current.capacity:
        raise ValidationFailed(
            "Change the price and the capacity in separate requests.",
            errors=(FieldError("capacity", "change it in its own request", "ONE_AT_A_TIME"),),
        )
    ops = [catalog.save_ticket_type_op(updated)]
    errors: dict[int, Exception] = {}
    if price_changes:
        frozen = PriceFrozen("Tickets of this type are sold or held; its price is fixed.")
        for shard in range(current.shards):
            errors[len(ops)] = frozen
            ops.append(
                check_op(
                    keys.inventory_shard(event_id, ticket_type_id, shard),
                    "held = :zero AND sold = :zero",
                    values={":zero": 0},
                )
            )
    # With an unchanged capacity this is just ``ops``, in one transaction.
    inventory_store.resize(
        event_id,
        ticket_type_id,
        updated.capacity,
        shards=current.shards,
        extra_ops=ops,
        errors=errors,
    )
    _refresh_price_range(event_id)
    return _offered(partition, updated)


def create_pool(
    event_id: str,
    caller: Principal,
    *,
    name: str,
    capacity: int,
    shards: int = 1,
    now: datetime | None = None,
) -> CapacityPool:
    partition = owned_event(event_id, caller)
    _require_open(partition)
    check_capacity(capacity, shards)
    pool = CapacityPool(
        id=new_id(Prefix.CAPACITY_POOL, now=now or datetime.now(UTC)),
        event_id=event_id,
        name=name,
        capacity=capacity,
        shards=shards,
    )
    transact(
        [
            catalog.event_status_check_op(event_id, _OPEN),
            *catalog.pool_ops(
                pool, inventory_store.new_inventory_ops(event_id, pool.id, capacity, shards)
            ),
        ]
    )
    return pool
