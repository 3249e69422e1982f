"""Public browsing reads: published events by start time (GSI2/GSI3/GSI4), and an event
with its ticket types (one Query of its partition) and inventory (one BatchGetItem)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import inventory, keys
from admitone.adapters.dynamo.catalog import to_event, to_pool, to_ticket_type
from admitone.adapters.dynamo.table import Item, query_pages, to_attributes
from admitone.domain.catalog import (
    Category,
    Event,
    TicketType,
)

Position = dict[str, str]  # {"sk": <GSInSK of the last item examined>, "id": <its event id>}

# Sort keys are f"{starts_at}#{event_id}" with starts_at ISO 8601 UTC ("...T20:00:00Z").
# Bounds are cut at the second and left open after it ("...T20:00:00" <= key <=
# "...T20:00:00~"), so whatever follows the seconds ("Z", ".5Z") is inside the range;
# the caller compares exact instants.
_SECOND = "%Y-%m-%dT%H:%M:%S"
_AFTER_SECOND = "~"  # sorts after "Z", "." and "#"
_PARTITION_ENTITIES = ("event", "ticket_type", "capacity_pool")


@dataclass(frozen=True)
class EventListing:
    """A published event as listings show it: the event and its visible price range."""

    event: Event
    min_price_cents: int | None
    max_price_cents: int | None


@dataclass(frozen=True)
class Hit:
    """One event examined by a listing; ``last`` when the index has nothing after it."""

    listing: EventListing
    position: Position
    last: bool


@dataclass(frozen=True)
class EventInventory:
    """An event, its ticket types (hidden ones too) and Σ ``available`` per inventory
    owner (a ticket type id or a capacity pool id)."""

    event: Event
    ticket_types: tuple[TicketType, ...]
    available: Mapping[str, int]


@dataclass(frozen=True)
class _Listing:
    index: str
    partition: str

    @property
    def pk(self) -> str:
        return f"{self.index}PK"

    @property
    def sk(self) -> str:
        return f"{self.index}SK"


def _listing(city_key: str | None, category: Category | None) -> _Listing:
    # The most selective dimension picks the index; the rest is filtered by the caller.
    if city_key is not None:
        return _Listing("GSI3", keys.published_in_city(city_key))
    if category is not None:
        return _Listing("GSI4", keys.published_in_category(category.value))
    return _Listing("GSI2", keys.PUBLISHED)


def published_events(
    *,
    city_key: str | None,
    category: Category | None,
    starts_from: datetime,
    starts_to: datetime | None,
    after: Position | None,
    batch: int,
) -> Iterator[Hit]:
    """Published events by start time, in a city / of a category / all, from ``after``
    on; pages of ``batch`` items are read lazily as the caller iterates."""
    listing = _listing(city_key, category)
    low = starts_from.astimezone(UTC).strftime(_SECOND)
    high = (
        None if starts_to is None else starts_to.astimezone(UTC).strftime(_SECOND) + _AFTER_SECOND
    )
    if high is not None and high < low:
        return  # e.g. "to" before the default "from now": DynamoDB refuses such a BETWEEN
    request: dict[str, Any] = {
        "IndexName": listing.index,
        "ExpressionAttributeNames": {"#pk": listing.pk, "#sk": listing.sk},
        "Limit": batch,
    }
    values: dict[str, str] = {":pk": listing.partition, ":low": low}
    if high is None:
        request["KeyConditionExpression"] = "#pk = :pk AND #sk >= :low"
    else:
        request["KeyConditionExpression"] = "#pk = :pk AND #sk BETWEEN :low AND :high"
        values[":high"] = high
    request["ExpressionAttributeValues"] = to_attributes(values)
    # DynamoDB refuses a start key outside the key condition; one below the range (the
    # default "from now" moved past it) means: from the start of the range.
    if after is not None and after["sk"] >= low:
        request["ExclusiveStartKey"] = to_attributes(
            {**keys.event(after["id"]), listing.pk: listing.partition, listing.sk: after["sk"]}
        )
    yield from _hits(request, listing)


def _hits(request: dict[str, Any], listing: _Listing) -> Iterator[Hit]:
    for items, last_key in query_pages(request):
        more = last_key is not None
        for n, item in enumerate(items, start=1):
            yield Hit(
                listing=_to_listing(item),
                position={"sk": str(item[listing.sk]), "id": str(item["event_id"])},
                last=not more and n == len(items),
            )


def event_with_inventory(event_id: str) -> EventInventory | None:
    """The event's partition in one Query (paged only past 1 MB): the event, its ticket
    types and pools; then their inventory shards in one BatchGetItem of the keys their
    shard counts name, summed per owner. ``None`` if there is no event."""
    request: dict[str, Any] = {
        "KeyConditionExpression": "PK = :pk",
        # Vouchers share the partition; they are not shown here.
        "FilterExpression": "#entity IN (:e0, :e1, :e2)",
        "ExpressionAttributeNames": {"#entity": "entity"},
        "ExpressionAttributeValues": to_attributes(
            {
                ":pk": keys.event(event_id)["PK"],
                **{f":e{n}": entity for n, entity in enumerate(_PARTITION_ENTITIES)},
            }
        ),
    }
    event: Event | None = None
    ticket_types: list[TicketType] = []
    owners: dict[str, int | None] = {}
    for items, _ in query_pages(request):
        for item in items:
            if item["entity"] == "event":
                event = to_event(item)
            elif item["entity"] == "ticket_type":
                ticket_type = to_ticket_type(item)
                ticket_types.append(ticket_type)
                owners[ticket_type.id] = ticket_type.shards
            else:
                pool = to_pool(item)
                owners[pool.id] = pool.shards
    if event is None:
        return None
    counts = inventory.counts(event_id, owners)
    return EventInventory(
        event=event,
        ticket_types=tuple(ticket_types),
        available={owner: totals.available for owner, totals in counts.items()},
    )


# -------------------------------------------------------------------- mapping
def _to_listing(item: Item) -> EventListing:
    return EventListing(
        event=to_event(item),
        min_price_cents=item.get("min_price_cents"),
        max_price_cents=item.get("max_price_cents"),
    )
