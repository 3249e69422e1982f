"""Stopping a resale's escrow at once when its event is cancelled or its ticket voided
(issue 19, RULES §13).

Every escrow of the event (``event.cancelled``), or of the tickets a refund or a lost
dispute voided (``order.refunded``, ``order.charged_back``), that is still open
(``created``: the listing reserved; ``funded``: the ticket moved, the money authorized,
not captured) is let go right away, not when its release job comes round a cooling
period later: its PaymentIntent is cancelled first (the authorization released, the
buyer never charged), then one unit of work cancels the escrow and ends its listing for
that reason (a reserved one gives its ticket's guard back; a sold one ends unsold).

Applied any number of times: an escrow no longer open is left alone, a PaymentIntent
cancelled already is found cancelled, and a unit of work refused because another writer
(the funding webhook, the release job) moved the escrow first is read and judged again.
A PaymentIntent that can no longer be cancelled (captured by a release that won the
race) is left to the release's own reversal and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.resale import (
    Escrow,
    EscrowMoved,
    EscrowStatus,
    ListingEnd,
    ListingStatus,
    ListingUnavailable,
    ended_reserved,
    escrow_moved,
    sale_stopped,
)
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.services.listings import announce_ended
from admitone.services.resale_purchase import give_back_allowance

# An event's open escrows are read this many a page (each stopped in its own unit of work).
EVENT_PAGE = 25
MAX_ATTEMPTS = 5
_OPEN = (EscrowStatus.CREATED, EscrowStatus.FUNDED)


def stop_for_event(ports: Ports, event_id: str, reason: ListingEnd, *, now: datetime) -> int:
    """Stop every open escrow of the event; how many this call stopped."""
    count = 0
    start: dict[str, str] | None = None
    while True:
        page, start = ports.store.escrows.open_of_event(event_id, limit=EVENT_PAGE, start=start)
        count += sum(stop(ports, one.id, reason, now=now) for one in page)
        if start is None:
            return count


def stop_for_tickets(
    ports: Ports, event_id: str, ticket_ids: Iterable[str], reason: ListingEnd, *, now: datetime
) -> int:
    """Stop every open escrow of these tickets (of the event); how many this call stopped."""
    count = 0
    for ticket_id in dict.fromkeys(ticket_ids):
        for escrow in ports.store.escrows.open_of_ticket(event_id, ticket_id):
            count += stop(ports, escrow.id, reason, now=now)
    return count


def stop(ports: Ports, escrow_id: str, reason: ListingEnd, *, now: datetime) -> bool:
    """Let the escrow go uncaptured and end its listing for ``reason``; False when it was
    no longer open (or its payment went through and cannot be let go)."""
    store = ports.store
    for _ in range(MAX_ATTEMPTS):
        escrow = store.escrows.get(escrow_id)  # the index may lag: judge the stored one
        if escrow is None or escrow.status not in _OPEN:
            return False
        logger.append_keys(escrow_id=escrow.id, payment_intent_id=escrow.payment_intent_id)
        if not ports.payments.cancel_payment_intent(escrow.payment_intent_id):
            if escrow.status is EscrowStatus.CREATED:
                # Being authorized right now: its funding webhook finds the ticket
                # cannot move and cancels it then.
                logger.info("escrow payment going through: left to its funding webhook")
                return False
            logger.error("funded escrow's payment captured: left to the release")
            _count("EscrowUncancellable")
            return False
        try:
            _settle(ports, escrow, reason, now=now)
        except (EscrowMoved, ListingUnavailable):
            continue  # funded or let go meanwhile: read it again
        logger.info("escrow stopped before release", extra={"end_reason": reason.value})
        _count("EscrowStopped")
        return True
    raise DependencyUnavailable("The escrow kept changing; the event will be applied again.")


def _settle(ports: Ports, escrow: Escrow, reason: ListingEnd, *, now: datetime) -> None:
    listing = ports.store.listings.get(escrow.listing_id)
    assert listing is not None  # listings are never deleted
    uow = ports.store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.CANCELLED, now=now))
    give_back_allowance(uow, escrow)
    if listing.escrow_id == escrow.id:
        if listing.status is ListingStatus.RESERVED:
            closed = ended_reserved(listing, reason, now=now)
            uow.listings.settle_reservation(listing, closed)
            announce_ended(uow, closed, now=now)
        elif listing.status is ListingStatus.SOLD:
            closed = sale_stopped(listing, reason, now=now)
            uow.listings.stop_sale(listing, closed)
            announce_ended(uow, closed, now=now)
    uow.commit()


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
