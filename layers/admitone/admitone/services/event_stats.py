"""An organizer's view of sales: per ticket type, from the inventory counters."""

from __future__ import annotations

from dataclasses import dataclass

from admitone.adapters.dynamo import inventory as inventory_store
from admitone.domain.accounts import Principal
from admitone.services.cancellation_refunds import Progress, progress_of
from admitone.services.catalog_access import event_of, owned_event


@dataclass(frozen=True)
class TicketTypeStats:
    ticket_type_id: str
    name: str
    capacity: int
    sold: int
    held: int
    available: int
    gross_cents: int
    discount_cents: int
    fee_cents: int

    @property
    def net_cents(self) -> int:
        """What the venue earns: the tickets' price less discounts and platform fees."""
        return self.gross_cents - self.discount_cents - self.fee_cents


@dataclass(frozen=True)
class EventStats:
    event_id: str
    status: str
    currency: str
    ticket_types: list[TicketTypeStats]
    # Refunding a cancelled event: None until it starts.
    cancellation_refunds: Progress | None = None


def event_stats(event_id: str, caller: Principal) -> EventStats:
    partition = owned_event(event_id, caller)
    counts = inventory_store.counts(event_id, partition.inventory_owners)
    rows = []
    for ticket_type in sorted(partition.ticket_types.values(), key=lambda t: t.id):
        own = counts.get(ticket_type.id)
        pool = counts.get(ticket_type.pool_id) if ticket_type.pool_id else None
        available = own.available if own else 0
        if pool is not None:
            available = min(available, pool.available)
        rows.append(
            TicketTypeStats(
                ticket_type_id=ticket_type.id,
                name=ticket_type.name,
                capacity=ticket_type.capacity,
                sold=own.sold if own else 0,
                held=own.held if own else 0,
                available=available,
                gross_cents=own.gross_cents if own else 0,
                discount_cents=own.discount_cents if own else 0,
                fee_cents=own.fee_cents if own else 0,
            )
        )
    event = event_of(partition)
    return EventStats(
        event_id=event_id,
        status=event.status.value,
        currency=event.currency.value,
        ticket_types=rows,
        cancellation_refunds=progress_of(event_id),
    )
