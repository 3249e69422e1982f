"""Venues, events, ticket types, capacity pools and vouchers in the single table.

One partition per event (``EVENT#<id>``) holds the event, its ticket types, pools and
vouchers, so an event page is one Query; the inventory shards each have a partition of
their own (``keys.inventory_shard``; every hold writes one), read by key from the shard
counts the ticket types and pools carry. Times are stored as
ISO 8601 strings with ``Z`` (sortable; GSI sort keys start with ``starts_at``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    Item,
    TransactionCancelled,
    get,
    put_op,
    query_partition,
    transact,
    update,
    update_op,
)
from admitone.domain.catalog import (
    Address,
    CapacityPool,
    Category,
    Event,
    EventStatus,
    ResalePolicy,
    RoyaltyRates,
    TicketType,
    Venue,
    Voucher,
    VoucherKind,
    normalize_city,
)
from admitone.domain.errors import AlreadyExists
from admitone.domain.money import Currency
from admitone.domain.pricing import FeeTier
from admitone.ports.catalog import Catalog

_NEW = "attribute_not_exists(PK)"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _required_moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -------------------------------------------------------------------- venues
def _venue_item(venue: Venue) -> Item:
    return {
        **keys.venue(venue.id),
        "entity": "venue",
        "venue_id": venue.id,
        "owner_id": venue.owner_id,
        "name": venue.name,
        "address": {k: v for k, v in asdict(venue.address).items() if v is not None},
        "timezone": venue.timezone,
        "fee_tier": venue.fee_tier.value if venue.fee_tier else None,
        "royalties": asdict(venue.royalties),
        "created_at": int(venue.created_at.timestamp()),
        "GSI1PK": keys.owned_by(venue.owner_id),
        "GSI1SK": f"VENUE#{venue.id}",
    }


def _to_venue(item: Item) -> Venue:
    return Venue(
        id=item["venue_id"],
        owner_id=item["owner_id"],
        name=item["name"],
        address=Address(**item["address"]),
        timezone=item["timezone"],
        created_at=datetime.fromtimestamp(item["created_at"], tz=UTC),
        fee_tier=FeeTier(item["fee_tier"]) if item.get("fee_tier") else None,
        # Venues written before rates were configurable carry none: the defaults.
        royalties=_rates(item.get("royalties")) or RoyaltyRates(),
    )


def _rates(stored: Item | None) -> RoyaltyRates | None:
    if not stored:
        return None
    return RoyaltyRates(venue_bps=int(stored["venue_bps"]), artist_bps=int(stored["artist_bps"]))


def _resale_policy(stored: Item) -> ResalePolicy:
    return ResalePolicy(
        allowed=bool(stored["allowed"]),
        min_pct=int(stored["min_pct"]),
        max_pct=int(stored["max_pct"]),
        royalties=_rates(stored.get("royalties")),
    )


def create_venue(venue: Venue) -> None:
    transact([put_op(_venue_item(venue), condition=_NEW)])


def get_venue(venue_id: str) -> Venue | None:
    item = get(keys.venue(venue_id))
    return _to_venue(item) if item else None


# Venues change rarely (address, pinned fee tier) and every order and quote prices from
# one: pricing reads its venue from a copy this container made at most this long ago, one
# read fewer per order. A changed address or fee tier reaches prices within this time.
# Events, ticket types and vouchers are never copied: a sale closed or a price changed
# applies to the next order (a copy of them once let closed sales oversell).
VENUE_MAX_AGE_SECONDS = 60.0
_MOST_VENUES_KEPT = 1024


class RecentVenues:
    """Venues as read at most ``max_age`` seconds ago, per container, shared by its
    threads; a venue not found is not kept (one created a moment ago is found next)."""

    def __init__(
        self,
        load: Callable[[str], Venue | None],
        *,
        max_age: float = VENUE_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, Venue]] = {}

    def get(self, venue_id: str) -> Venue | None:
        now = self._clock()
        with self._lock:
            kept = self._kept.get(venue_id)
        if kept is not None and now - kept[0] < self._max_age:
            return kept[1]
        venue = self._load(venue_id)
        with self._lock:
            if venue is None:
                self._kept.pop(venue_id, None)
            else:
                if len(self._kept) >= _MOST_VENUES_KEPT and venue_id not in self._kept:
                    self._kept.pop(next(iter(self._kept)))  # the oldest kept
                self._kept[venue_id] = (now, venue)
        return venue

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()


recent_venues = RecentVenues(get_venue)


def save_venue(venue: Venue) -> None:
    transact([put_op(_venue_item(venue), condition="attribute_exists(PK)")])


# -------------------------------------------------------------------- events
def _event_item(event: Event, prices: tuple[int, int] | None) -> Item:
    item: Item = {
        **keys.event(event.id),
        "entity": "event",
        "event_id": event.id,
        "venue_id": event.venue_id,
        "owner_id": event.owner_id,
        "title": event.title,
        "description": event.description,
        "category": event.category.value,
        "starts_at": iso(event.starts_at),
        "ends_at": iso(event.ends_at),
        "sales_start": iso(event.sales_start),
        "sales_end": iso(event.sales_end),
        "registration_deadline": iso(event.registration_deadline),
        "timezone": event.timezone,
        "city": event.city,
        "city_key": normalize_city(event.city),
        "currency": event.currency.value,
        "status": event.status.value,
        "hold_minutes": event.hold_minutes,
        "high_demand": event.high_demand,
        "nft_enabled": event.nft_enabled,
        "resale": asdict(event.resale),
        "created_at": int(event.created_at.timestamp()),
        "GSI1PK": keys.owned_by(event.owner_id),
        "GSI1SK": f"EVENT#{event.id}",
    }
    if prices is not None:
        item["min_price_cents"], item["max_price_cents"] = prices
    if event.status is EventStatus.PUBLISHED:
        position = f"{iso(event.starts_at)}#{event.id}"
        item.update(
            {
                "GSI2PK": keys.PUBLISHED,
                "GSI2SK": position,
                "GSI3PK": keys.published_in_city(item["city_key"]),
                "GSI3SK": position,
                "GSI4PK": keys.published_in_category(event.category.value),
                "GSI4SK": position,
            }
        )
    return item


def to_event(item: Item) -> Event:
    return Event(
        id=item["event_id"],
        venue_id=item["venue_id"],
        owner_id=item["owner_id"],
        title=item["title"],
        description=item["description"],
        category=Category(item["category"]),
        starts_at=_required_moment(item["starts_at"]),
        ends_at=_required_moment(item["ends_at"]),
        timezone=item["timezone"],
        city=item["city"],
        currency=Currency(item["currency"]),
        sales_start=_required_moment(item["sales_start"]),
        sales_end=_required_moment(item["sales_end"]),
        registration_deadline=_required_moment(item["registration_deadline"]),
        created_at=datetime.fromtimestamp(item["created_at"], tz=UTC),
        status=EventStatus(item["status"]),
        hold_minutes=int(item["hold_minutes"]),
        high_demand=bool(item["high_demand"]),
        nft_enabled=bool(item["nft_enabled"]),
        resale=_resale_policy(item["resale"]),
    )


def create_event(event: Event) -> None:
    transact([put_op(_event_item(event, None), condition=_NEW)])


def get_event(event_id: str) -> Event | None:
    item = get(keys.event(event_id), consistent=True)
    return to_event(item) if item else None


def save_event(
    event: Event,
    *,
    expected: EventStatus,
    prices: tuple[int, int] | None,
    extra_ops: list[dict[str, Any]] | None = None,
) -> bool:
    """Write ``event`` if it is still ``expected``; False when another change won."""
    try:
        transact(
            [
                put_op(
                    _event_item(event, prices),
                    condition="#status = :expected",
                    names={"#status": "status"},
                    values={":expected": expected.value},
                ),
                *(extra_ops or []),
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            return False
        raise
    return True


def set_price_range(event_id: str, prices: tuple[int, int] | None) -> None:
    if prices is None:
        update(keys.event(event_id), "REMOVE min_price_cents, max_price_cents")
        return
    update(
        keys.event(event_id),
        "SET min_price_cents = :low, max_price_cents = :high",
        values={":low": prices[0], ":high": prices[1]},
    )


# -------------------------------------------------------- types, pools, codes
def _ticket_type_item(ticket_type: TicketType) -> Item:
    return {
        **keys.ticket_type(ticket_type.event_id, ticket_type.id),
        "entity": "ticket_type",
        "ticket_type_id": ticket_type.id,
        "event_id": ticket_type.event_id,
        "name": ticket_type.name,
        "price_cents": ticket_type.price_cents,
        "currency": ticket_type.currency.value,
        "capacity": ticket_type.capacity,
        "max_per_order": ticket_type.max_per_order,
        "max_scans": ticket_type.max_scans,
        "sales_start": iso(ticket_type.sales_start) if ticket_type.sales_start else None,
        "sales_end": iso(ticket_type.sales_end) if ticket_type.sales_end else None,
        "hidden": ticket_type.hidden,
        "shards": ticket_type.shards,
        "pool_id": ticket_type.pool_id,
    }


def to_ticket_type(item: Item) -> TicketType:
    return TicketType(
        id=item["ticket_type_id"],
        event_id=item["event_id"],
        name=item["name"],
        price_cents=int(item["price_cents"]),
        currency=Currency(item["currency"]),
        capacity=int(item["capacity"]),
        max_per_order=int(item["max_per_order"]),
        max_scans=int(item["max_scans"]),
        sales_start=_moment(item.get("sales_start")),
        sales_end=_moment(item.get("sales_end")),
        hidden=bool(item["hidden"]),
        shards=int(item["shards"]),
        pool_id=item.get("pool_id"),
    )


def _pool_item(pool: CapacityPool) -> Item:
    return {
        **keys.capacity_pool(pool.event_id, pool.id),
        "entity": "capacity_pool",
        "pool_id": pool.id,
        "event_id": pool.event_id,
        "name": pool.name,
        "capacity": pool.capacity,
        "shards": pool.shards,
    }


def to_pool(item: Item) -> CapacityPool:
    return CapacityPool(
        id=item["pool_id"],
        event_id=item["event_id"],
        name=item["name"],
        capacity=int(item["capacity"]),
        shards=int(item["shards"]),
    )


def _voucher_item(voucher: Voucher) -> Item:
    return {
        **keys.voucher(voucher.event_id, voucher.code),
        "entity": "voucher",
        "event_id": voucher.event_id,
        "code": voucher.code,
        "kind": voucher.kind.value,
        "value": voucher.value,
        "max_uses": voucher.max_uses,
        "budget_cents": voucher.budget_cents,
        "valid_from": iso(voucher.valid_from) if voucher.valid_from else None,
        "valid_to": iso(voucher.valid_to) if voucher.valid_to else None,
        "valid_from_epoch": int(voucher.valid_from.timestamp()) if voucher.valid_from else None,
        "valid_to_epoch": int(voucher.valid_to.timestamp()) if voucher.valid_to else None,
        "ticket_type_ids": list(voucher.ticket_type_ids),
        "uses": voucher.uses,
        "spent_cents": voucher.spent_cents,
    }


def to_voucher(item: Item) -> Voucher:
    return Voucher(
        event_id=item["event_id"],
        code=item["code"],
        kind=VoucherKind(item["kind"]),
        value=int(item["value"]),
        max_uses=item.get("max_uses"),
        budget_cents=item.get("budget_cents"),
        valid_from=_moment(item.get("valid_from")),
        valid_to=_moment(item.get("valid_to")),
        ticket_type_ids=tuple(item.get("ticket_type_ids") or ()),
        uses=int(item.get("uses", 0)),
        spent_cents=int(item.get("spent_cents", 0)),
    )


def ticket_type_ops(
    ticket_type: TicketType, inventory_ops: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [put_op(_ticket_type_item(ticket_type), condition=_NEW), *inventory_ops]


def save_ticket_type_op(ticket_type: TicketType) -> dict[str, Any]:
    return put_op(_ticket_type_item(ticket_type), condition="attribute_exists(PK)")


def pool_ops(pool: CapacityPool, inventory_ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [put_op(_pool_item(pool), condition=_NEW), *inventory_ops]


def create_voucher(voucher: Voucher) -> None:
    try:
        transact([put_op(_voucher_item(voucher), condition=_NEW)])
    except TransactionCancelled:
        raise AlreadyExists(f"The code {voucher.code} already exists for this event.") from None


def event_status_check_op(event_id: str, allowed: tuple[EventStatus, ...]) -> dict[str, Any]:
    """Joins a transaction: the event must (still) be in one of ``allowed``."""
    names = {f":s{i}": status.value for i, status in enumerate(allowed)}
    return update_op(
        keys.event(event_id),
        "SET #status = #status",
        names={"#status": "status"},
        values=names,
        condition=f"#status IN ({', '.join(names)})",
    )


class EventPartition:
    """Everything stored under one event, from one Query."""

    def __init__(self, items: list[Item]) -> None:
        self.event: Event | None = None
        self.ticket_types: dict[str, TicketType] = {}
        self.pools: dict[str, CapacityPool] = {}
        self.vouchers: list[Voucher] = []
        for item in items:
            kind = item.get("entity")
            if kind == "event":
                self.event = to_event(item)
            elif kind == "ticket_type":
                ticket_type = to_ticket_type(item)
                self.ticket_types[ticket_type.id] = ticket_type
            elif kind == "capacity_pool":
                pool = to_pool(item)
                self.pools[pool.id] = pool
            elif kind == "voucher":
                self.vouchers.append(to_voucher(item))

    @property
    def inventory_owners(self) -> dict[str, int]:
        """Every ticket type's and pool's shard count, by id: the keys of the event's
        inventory (its shards live in partitions of their own, ``keys.inventory_shard``)."""
        owners = {t.id: t.shards for t in self.ticket_types.values()}
        owners.update({p.id: p.shards for p in self.pools.values()})
        return owners


def event_partition(event_id: str) -> EventPartition:
    return EventPartition(query_partition(f"EVENT#{event_id}", consistent=True))


class DynamoCatalog(Catalog):
    def event(self, event_id: str) -> Event | None:
        return get_event(event_id)

    def venue(self, venue_id: str) -> Venue | None:
        return get_venue(venue_id)

    def ticket_types(self, event_id: str) -> dict[str, TicketType]:
        return event_partition(event_id).ticket_types
