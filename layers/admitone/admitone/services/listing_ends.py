"""Listings that end by themselves (issue 19): when their ticket is scanned, refunded,
transferred or voided, or their event is cancelled, an active listing becomes ``ended``
with the reason.

Where the change that ends a listing runs on the unit of work (voiding a cancelled
event's free tickets: ``cancellation_refunds``), the listing ends in that same unit of
work (``stage_ends``). The other changes (check-in, transfer, refunds, chargebacks,
cancelling the event) still write outside it, so their domain events do it here, on
the ``EndListingsFunction`` queue, idempotently: a listing no longer active is left
alone, a delivery seen twice ends nothing twice. A listing of an event that has
started is not written at all: every read derives it (``domain.resale.as_of``).

The same events stop, at once, the open escrows of a cancelled event or a voided ticket
(``escrow_stops``: the PaymentIntent cancelled, the escrow cancelled, its reserved or sold
listing ended), before the active listings are ended; a cancelled event's released
resales are then reversed (``resale_reversals``: the buyer refunded, the split taken back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from admitone.domain.refunds import RefundReason
from admitone.domain.resale import Listing, ListingEnd, ListingStatus, ListingUnavailable, ended
from admitone.domain.tickets import TicketStatus
from admitone.observability import logger
from admitone.ports import Ports
from admitone.ports.store import Store
from admitone.ports.unit_of_work import UnitOfWork
from admitone.services import escrow_stops, resale_reversals
from admitone.services.listings import announce_ended

# An event's active listings are ended this many a unit of work (two writes each).
EVENT_PAGE = 25


def stage_ends(
    store: Store, uow: UnitOfWork, ticket_ids: Iterable[str], reason: ListingEnd, *, now: datetime
) -> list[Listing]:
    """Stage the end of the active listings of these tickets into ``uow`` (their
    change's own unit of work); the commit raises ``ListingUnavailable`` if one of them
    ended meanwhile, and the caller reads again."""
    closing = []
    for ticket_id in ticket_ids:
        listing = store.listings.active_of_ticket(ticket_id)
        if listing is not None:
            closing.append(ended(listing, reason, now=now))
            uow.listings.close(closing[-1])
            announce_ended(uow, closing[-1], now=now)
    return closing


def end_for_tickets(
    store: Store, ticket_ids: Iterable[str], reason: ListingEnd, *, now: datetime
) -> int:
    """End the active listing of each ticket (one unit of work each); how many ended."""
    count = 0
    for ticket_id in dict.fromkeys(ticket_ids):
        listing = store.listings.active_of_ticket(ticket_id)
        if listing is None or listing.status is not ListingStatus.ACTIVE:
            continue  # a reserved one is settled with its escrow (escrow_stops)
        if _end(store, [listing], reason, now=now):
            count += 1
    return count


def end_for_event(store: Store, event_id: str, reason: ListingEnd, *, now: datetime) -> int:
    """End every active listing of the event; how many ended. Pages are followed by
    their position, not read again from the top: the index may still show a listing
    just ended for a moment."""
    count = 0
    start: dict[str, str] | None = None
    while True:
        page, start = store.listings.active_of_event(event_id, limit=EVENT_PAGE, start=start)
        if page and _end(store, page, reason, now=now):
            count += len(page)
        else:  # one of them ended meanwhile (or was already): the rest one by one
            count += sum(_end(store, [one], reason, now=now) for one in page)
        if start is None:
            return count


def _end(store: Store, listings: list[Listing], reason: ListingEnd, *, now: datetime) -> bool:
    uow = store.unit_of_work()
    for listing in listings:
        closed = ended(listing, reason, now=now)
        uow.listings.close(closed)
        announce_ended(uow, closed, now=now)
    try:
        uow.commit()
    except ListingUnavailable:
        return False  # withdrawn or ended by another change first: nothing left to do
    for listing in listings:
        logger.info("listing ended", extra={"listing_id": listing.id, "end_reason": reason.value})
    return True


def on_domain_event(
    ports: Ports, event_type: str, data: Mapping[str, Any], *, now: datetime
) -> int:
    """Stop the escrows and end the listings a domain event stops; how many escrows and
    listings (0 for other types)."""
    store = ports.store
    match event_type:
        case "ticket.checked_in":
            return end_for_tickets(store, [data["ticket_id"]], ListingEnd.TICKET_SCANNED, now=now)
        case "ticket.transferred":
            return end_for_tickets(
                store, [data["ticket_id"]], ListingEnd.TICKET_TRANSFERRED, now=now
            )
        case "order.charged_back":
            void, reason = list(data["void_ticket_ids"]), ListingEnd.TICKET_VOIDED
            stopped = escrow_stops.stop_for_tickets(ports, data["event_id"], void, reason, now=now)
            return stopped + end_for_tickets(store, void, reason, now=now)
        case "order.refunded":
            return _refunded(ports, data, now=now)
        case "event.cancelled":
            reason = ListingEnd.EVENT_CANCELLED
            stopped = escrow_stops.stop_for_event(ports, data["event_id"], reason, now=now)
            ended_count = end_for_event(store, data["event_id"], reason, now=now)
            reversed_count = resale_reversals.reverse_for_event(ports, data["event_id"], now=now)
            return stopped + ended_count + reversed_count
    logger.info("not an event that ends listings", extra={"event_type": event_type})
    return 0


def _refunded(ports: Ports, data: Mapping[str, Any], *, now: datetime) -> int:
    """A refund voids the tickets it pays back: their escrows stop and their listings end
    (those of a cancelled event's refund for that reason)."""
    store = ports.store
    order = store.orders.get(data["order_id"])
    if order is None or not order.ticket_ids:
        return 0
    void = [t for t in store.tickets.by_ids(order.ticket_ids) if t.status is TicketStatus.VOID]
    cancelled = data.get("reason") == RefundReason.EVENT_CANCELLED.value
    reason = ListingEnd.EVENT_CANCELLED if cancelled else ListingEnd.TICKET_REFUNDED
    stopped = sum(
        escrow_stops.stop_for_tickets(ports, t.event_id, [t.id], reason, now=now) for t in void
    )
    return stopped + end_for_tickets(store, [t.id for t in void], reason, now=now)
