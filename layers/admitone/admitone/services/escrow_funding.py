"""A resale escrow's PaymentIntent, as Stripe reports it (issue 19, RULES §13).

- ``requires_capture`` (``payment_intent.amount_capturable_updated``): the buyer's money
  is authorized. One unit of work funds the escrow, sells the reserved listing (its
  ticket's guard given back) and reissues the ticket to the buyer under its next
  version's QR (the seller's answers ``void`` online and in the next scanner bundle),
  announcing ``ticket.transferred`` and ``escrow.funded`` (its release's trigger).
  Should the ticket no longer be able to move (voided,
  scanned, transferred, its event cancelled or over), the PaymentIntent is cancelled
  first (the buyer is never charged), then the escrow cancelled and the listing ended
  for that reason.
- ``canceled``: an escrow still ``created`` is cancelled and its listing is for sale
  again.

Events are applied in any order and any number of times: each move holds only from the
state it was read in, a move another delivery made first is simply found done, and a
unit of work refused because something changed meanwhile is read and tried again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters.signing_keys import load_keyset
from admitone.domain.catalog import Event
from admitone.domain.errors import Conflict, Contention, DependencyUnavailable
from admitone.domain.events import EscrowFunded, ListingSold, TicketTransferred
from admitone.domain.ids import Prefix, is_id
from admitone.domain.keys import KeyPurpose
from admitone.domain.orders import PaymentStatus
from admitone.domain.payments import Intent
from admitone.domain.resale import (
    Escrow,
    EscrowMoved,
    EscrowStatus,
    Listing,
    ListingEnd,
    ListingStatus,
    ListingUnavailable,
    ended_reserved,
    escrow_moved,
    reopened,
    sold,
    why_not_transferable,
)
from admitone.domain.tickets import Ticket, next_version_token, transferred
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.services.listings import announce_ended
from admitone.services.resale_purchase import give_back_allowance

MAX_ATTEMPTS = 5
# What a refused unit of work means here: another writer moved something first.
_MOVED_MEANWHILE = (EscrowMoved, ListingUnavailable, Conflict, Contention)
type _ListingMove = Callable[[Listing], Listing]


def apply_escrow_intent(ports: Ports, intent: Intent, *, now: datetime) -> None:
    """Apply the PaymentIntent's state to the escrow whose id it carries."""
    escrow_id = intent.escrow_id or ""
    escrow = ports.store.escrows.get(escrow_id) if is_id(escrow_id, Prefix.ESCROW) else None
    if escrow is None or escrow.payment_intent_id != intent.id:
        logger.warning("payment intent of no escrow of ours: ignored")
        _count("EscrowIntentUnknown")
        return
    logger.append_keys(escrow_id=escrow.id, listing_id=escrow.listing_id)
    if intent.status is PaymentStatus.REQUIRES_CAPTURE:
        _fund(ports, escrow, now=now)
    elif intent.status is PaymentStatus.CANCELED:
        _let_go(ports, escrow, now=now)
    else:
        logger.info("escrow payment status: nothing to apply", extra={"status": intent.status})


def _fund(ports: Ports, escrow: Escrow, *, now: datetime) -> None:
    store = ports.store
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            fresh = store.escrows.get(escrow.id)
            assert fresh is not None  # escrows are never deleted
            escrow = fresh
        if escrow.status is not EscrowStatus.CREATED:
            logger.info("escrow already moved on: nothing to fund", extra={"status": escrow.status})
            return
        listing, ticket, event = _read(ports, escrow)
        reason = why_not_transferable(ticket, escrow, event, now=now)
        if reason is not None or not _reserved_for(listing, escrow):
            # A listing no longer held for this escrow is never sold to its buyer.
            _cancel(ports, escrow, listing, reason, now=now)
            return
        funded = escrow_moved(escrow, EscrowStatus.FUNDED, now=now)
        moved = transferred(
            ticket,
            to_user_id=escrow.buyer_id,
            email=escrow.buyer_email,
            name=None,
            token=next_version_token(
                ticket, event.ends_at, load_keyset().signing_key(KeyPurpose.TICKET)
            ),
            now=now,
        )
        uow = store.unit_of_work()
        uow.escrows.move(escrow, funded)
        uow.listings.settle_reservation(listing, sold(listing, now=now))
        uow.tickets.reissue(ticket, moved)
        uow.outbox.announce(
            "ticket.transferred", TicketTransferred.of(ticket, moved, escrow_id=escrow.id), now=now
        )
        uow.outbox.announce(
            "listing.sold",
            ListingSold(
                listing_id=listing.id,
                escrow_id=escrow.id,
                event_id=escrow.event_id,
                seller_id=escrow.seller_id,
                price_cents=escrow.amount_cents,
                currency=escrow.currency,
            ),
            now=now,
        )
        uow.outbox.announce(
            "escrow.funded",
            EscrowFunded(
                escrow_id=escrow.id, listing_id=escrow.listing_id, event_id=escrow.event_id
            ),
            now=now,
        )
        try:
            uow.commit()
        except _MOVED_MEANWHILE:
            continue
        logger.info("escrow funded, ticket moved to the buyer", extra={"version": moved.version})
        _count("EscrowFunded")
        return
    raise DependencyUnavailable("The escrow kept changing; the event will be applied again.")


def _cancel(
    ports: Ports, escrow: Escrow, listing: Listing, reason: ListingEnd | None, *, now: datetime
) -> None:
    """The ticket cannot move: let the buyer's authorization go first (never charged),
    then cancel the escrow and end its reserved listing for ``reason`` (None: the listing
    is not reserved for it, and is left as it is)."""
    if not ports.payments.cancel_payment_intent(escrow.payment_intent_id):
        # Captured or capturing: never before funding, so someone else did; a person decides.
        logger.error("escrow payment intent went through; ticket cannot move: refund by hand")
        _count("EscrowUncancellable")
        return
    if reason is None:
        _settle(ports, escrow, listing, reopened, now=now)
    else:
        _settle(ports, escrow, listing, lambda held: ended_reserved(held, reason, now=now), now=now)
    logger.info("escrow cancelled: the ticket cannot move", extra={"reason": reason})
    _count("EscrowCancelled")


def _let_go(ports: Ports, escrow: Escrow, *, now: datetime) -> None:
    """The PaymentIntent was cancelled: a created escrow is cancelled, its listing for
    sale again."""
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            fresh = ports.store.escrows.get(escrow.id)
            assert fresh is not None
            escrow = fresh
        if escrow.status is not EscrowStatus.CREATED:
            if escrow.status is EscrowStatus.FUNDED:
                # The authorization went away after the ticket moved: a person decides.
                logger.error("funded escrow's payment intent cancelled")
                _count("EscrowFundingLost")
            return
        listing = ports.store.listings.get(escrow.listing_id)
        assert listing is not None  # listings are never deleted
        try:
            _settle(ports, escrow, listing, reopened, now=now)
        except _MOVED_MEANWHILE:
            continue
        logger.info("escrow cancelled with its payment intent; listing for sale again")
        _count("EscrowCancelled")
        return
    raise DependencyUnavailable("The escrow kept changing; the event will be applied again.")


def _settle(
    ports: Ports,
    escrow: Escrow,
    listing: Listing,
    after: _ListingMove,
    *,
    now: datetime,
) -> None:
    """Cancel the escrow and move its reserved listing with ``after``, in one unit of work."""
    uow = ports.store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.CANCELLED, now=now))
    give_back_allowance(uow, escrow)
    if _reserved_for(listing, escrow):
        settled = after(listing)
        uow.listings.settle_reservation(listing, settled)
        if settled.end_reason is not None:  # ended, not for sale again
            announce_ended(uow, settled, now=now)
    uow.commit()


def _reserved_for(listing: Listing, escrow: Escrow) -> bool:
    return listing.status is ListingStatus.RESERVED and listing.escrow_id == escrow.id


def _read(ports: Ports, escrow: Escrow) -> tuple[Listing, Ticket, Event]:
    store = ports.store
    listing = store.listings.get(escrow.listing_id)
    ticket = store.tickets.get(escrow.ticket_id)
    event = store.catalog.event(escrow.event_id)
    # An escrow's listing, ticket and event are never deleted.
    assert listing is not None
    assert ticket is not None
    assert event is not None
    return listing, ticket, event


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
