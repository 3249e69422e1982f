"""Events: create a draft, change it within what its state allows, publish, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.domain.accounts import Principal
from admitone.domain.catalog import (
    DEFAULT_REGISTRATION_LEAD,
    Category,
    Event,
    EventStatus,
    ResalePolicy,
    check_cancellable,
    check_event_schedule,
    check_event_start,
    require_editable,
    require_transition,
)
from admitone.domain.errors import Conflict, InvalidTransition
from admitone.domain.ids import Prefix, new_id
from admitone.domain.money import Currency
from admitone.domain.payouts import settles_at
from admitone.observability import logger
from admitone.services.catalog_access import event_of, owned_event, owned_venue, require_organizer


def _check(event: Event) -> None:
    check_event_schedule(
        category=event.category,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        sales_start=event.sales_start,
        sales_end=event.sales_end,
        registration_deadline=event.registration_deadline,
        hold_minutes=event.hold_minutes,
        resale=event.resale,
    )


def create_event(
    caller: Principal,
    *,
    venue_id: str,
    title: str,
    description: str,
    category: Category,
    starts_at: datetime,
    ends_at: datetime,
    sales_start: datetime,
    sales_end: datetime,
    currency: Currency,
    registration_deadline: datetime | None = None,
    hold_minutes: int = 15,
    high_demand: bool = False,
    nft_enabled: bool = False,
    resale: ResalePolicy | None = None,
    now: datetime | None = None,
) -> Event:
    require_organizer(caller)
    venue = owned_venue(venue_id, caller)
    now = now or datetime.now(UTC)
    event = Event(
        id=new_id(Prefix.EVENT, now=now),
        venue_id=venue.id,
        owner_id=venue.owner_id,
        title=title,
        description=description,
        category=category,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=venue.timezone,
        city=venue.address.city,
        currency=currency,
        sales_start=sales_start,
        sales_end=sales_end,
        registration_deadline=registration_deadline or starts_at - DEFAULT_REGISTRATION_LEAD,
        created_at=now,
        hold_minutes=hold_minutes,
        high_demand=high_demand,
        nft_enabled=nft_enabled,
        resale=resale or ResalePolicy(),
    )
    _check(event)
    check_event_start(event.starts_at, now=now)
    catalog.create_event(event)
    logger.info("event created", extra={"event_id": event.id})
    return event


def _save(
    event: Event,
    previous: EventStatus,
    partition: catalog.EventPartition,
    extra_ops: list[dict[str, Any]] | None = None,
) -> Event:
    ops = list(extra_ops or [])
    if event.status is EventStatus.PUBLISHED and not _settled(event.id):
        # When its proceeds become available follows when it ends (RULES §10).
        ops.append(
            money_store.settlement_op(
                event.id, event.venue_id, event.currency.value, settles_at(event.ends_at)
            )
        )
    if not catalog.save_event(
        event, expected=previous, prices=price_range(partition), extra_ops=ops
    ):
        raise Conflict("The event changed meanwhile; read it again and retry.")
    return event


def _settled(event_id: str) -> bool:
    settlement = money_store.get_settlement(event_id)
    return settlement is not None and settlement.settled_at is not None


def price_range(partition: catalog.EventPartition) -> tuple[int, int] | None:
    prices = [t.price_cents for t in partition.ticket_types.values() if not t.hidden]
    return (min(prices), max(prices)) if prices else None


def update_event(
    event_id: str, caller: Principal, changes: dict[str, Any], *, now: datetime | None = None
) -> Event:
    partition = owned_event(event_id, caller)
    current = event_of(partition)
    require_editable(current.status, set(changes))
    updated = replace(current, **changes)
    _check(updated)
    if "starts_at" in changes:
        check_event_start(updated.starts_at, now=now or datetime.now(UTC))
    return _save(updated, current.status, partition)


def publish_event(event_id: str, caller: Principal, *, now: datetime | None = None) -> Event:
    """On sale only while it is ahead and within the horizon (a draft may have been left
    until its start passed, or been written before the horizon was a rule)."""
    partition = owned_event(event_id, caller)
    current = event_of(partition)
    require_transition(current.status, EventStatus.PUBLISHED)
    if not partition.ticket_types:
        raise InvalidTransition("Add at least one ticket type before publishing.")
    _check(current)
    check_event_start(current.starts_at, now=now or datetime.now(UTC))
    published = _save(replace(current, status=EventStatus.PUBLISHED), current.status, partition)
    logger.info("event published", extra={"event_id": event_id})
    return published


def cancel_event(
    event_id: str, caller: Principal, *, reason: str, now: datetime | None = None
) -> Event:
    """Cancel, and announce ``event.cancelled`` in the same transaction (refunds follow);
    ``EventAlreadyEnded`` once it is over."""
    now = now or datetime.now(UTC)
    partition = owned_event(event_id, caller)
    current = event_of(partition)
    require_transition(current.status, EventStatus.CANCELLED)
    check_cancellable(current.ends_at, now=now)
    cancelled = replace(current, status=EventStatus.CANCELLED)
    announcement = outbox_op(
        "event.cancelled",
        {
            "event_id": event_id,
            "venue_id": current.venue_id,
            "reason": reason,
            "cancelled_by": caller.user_id,
            "previous_status": current.status.value,
        },
        now=now,
    )
    _save(cancelled, current.status, partition, [announcement])
    logger.info("event cancelled", extra={"event_id": event_id})
    return cancelled
