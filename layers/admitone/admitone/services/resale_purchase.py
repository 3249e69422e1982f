"""Buying a resale listing (issue 19, RULES §13): the buyer's purchase opens an escrow.

The PaymentIntent (manual capture: authorized, never charged before release) is asked
of Stripe first, with a key derived from the client's ``Idempotency-Key`` and the new
escrow's id. Then one unit of work reserves the listing for that escrow (only while it
is still active, its ticket still as listed) and creates the escrow: of buyers racing
for one listing exactly one reserves it. Every other buyer's PaymentIntent is cancelled
at once; nobody ever held its client secret, so nobody is charged.

The price is what the listing asks, and only while it is still within the event's
resale policy as it stands now (the cap); a listing ended, withdrawn, sold, reserved by
another buyer, or of an event cancelled or started is 409 ``LISTING_UNAVAILABLE``; the
seller's own listing is 403 ``OWN_LISTING``.

A resale purchase counts one ticket against the buyer's allowance for the event, the
same standing orders count against (RULES §11: the per-buyer limit, lowered when the
event sells fast, and the cooldown after a purchase), taken in the same unit of work so
two purchases at once cannot both pass it: over it is 422 ``PURCHASE_LIMIT_EXCEEDED``
(``PER_BUYER_LIMIT`` or ``PURCHASE_COOLDOWN``), before any PaymentIntent when the
standing as read already says so. The escrow remembers it counted; cancelled, it gives
the ticket back (``give_back_allowance``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.domain.accounts import Principal
from admitone.domain.errors import DependencyUnavailable, DomainError
from admitone.domain.events import EscrowCreated
from admitone.domain.ids import Prefix, new_id
from admitone.domain.orders import BuyerStanding
from admitone.domain.payments import Intent
from admitone.domain.resale import (
    Escrow,
    Listing,
    ListingUnavailable,
    check_purchasable,
    check_resale_allowance,
    purchase_amount,
    reserved,
    royalties_for,
)
from admitone.observability import logger, report_error
from admitone.ports import Ports
from admitone.ports.unit_of_work import ChangeRefused, UnitOfWork
from admitone.services import listings, orders


@dataclass(frozen=True)
class Purchase:
    """The buyer's escrow, awaiting their payment with the PaymentIntent's secret."""

    escrow: Escrow
    listing: Listing
    client_secret: str


def purchase_listing(
    ports: Ports,
    listing_id: str,
    buyer: Principal,
    *,
    stripe_key: Callable[[str], str],
    now: datetime | None = None,
) -> Purchase:
    """Reserve the listing for the buyer and open its escrow; ``stripe_key(operation)``
    derives the Stripe idempotency key from the client's."""
    now = now or datetime.now(UTC)
    store = ports.store
    current = listings.listing(store, listing_id, now=now)
    check_purchasable(current.status, seller_id=current.seller_id, buyer_id=buyer.user_id)
    event = store.catalog.event(current.event_id)
    ticket = store.tickets.get(current.ticket_id)
    # A listing's event and ticket are never deleted, nor an event's venue.
    assert event is not None
    assert ticket is not None
    venue = store.catalog.venue(event.venue_id)
    assert venue is not None
    amount = purchase_amount(current, event, now=now)
    limit = orders.event_buyer_limit(store, event.id)
    check_resale_allowance(store.orders.standing(buyer.user_id, event.id), limit=limit, now=now)
    if (ticket.version, ticket.holder_id) != (current.ticket_version, current.seller_id):
        # Moved on since it was listed (its listing ends by itself shortly).
        raise ListingUnavailable("This listing is no longer for sale.")
    escrow_id = new_id(Prefix.ESCROW, now=now)
    intent = _open_payment_intent(ports, escrow_id, current, amount, stripe_key)
    escrow = Escrow(
        id=escrow_id,
        listing_id=current.id,
        event_id=current.event_id,
        ticket_id=current.ticket_id,
        ticket_version=current.ticket_version,
        seller_id=current.seller_id,
        buyer_id=buyer.user_id,
        buyer_email=buyer.email,
        amount_cents=amount,
        currency=current.currency,
        payment_intent_id=intent.id,
        created_at=now,
        royalties=royalties_for(venue, event),  # the rates of the sale, whatever comes later
        counted=True,
    )
    held = reserved(current, escrow.id)
    uow = store.unit_of_work()
    uow.listings.reserve(held, ticket)
    allowance = uow.standings.take_tickets(buyer.user_id, event.id, 1, limit=limit, now=now)
    uow.escrows.create(escrow)
    # Its release job lets it go if the buyer never pays (services/escrow_release.py).
    uow.outbox.announce(
        "escrow.created",
        EscrowCreated(escrow_id=escrow.id, listing_id=held.id, event_id=held.event_id),
        now=now,
    )
    try:
        uow.commit()
    except ChangeRefused as refused:
        _cancel_unused(ports, intent)
        if refused.refused(allowance):
            standing = refused.as_was(allowance) or BuyerStanding()
            check_resale_allowance(standing, limit=limit, now=now)
            # Refused on a standing that allows it as read: another purchase took the last.
            check_resale_allowance(BuyerStanding(tickets=limit), limit=limit, now=now)
        raise
    except BaseException:
        _cancel_unused(ports, intent)
        raise
    logger.info(
        "listing reserved, escrow opened",
        extra={"listing_id": held.id, "escrow_id": escrow.id, "payment_intent_id": intent.id},
    )
    return Purchase(escrow=escrow, listing=held, client_secret=intent.client_secret)


def _open_payment_intent(
    ports: Ports,
    escrow_id: str,
    listing: Listing,
    amount: int,
    stripe_key: Callable[[str], str],
) -> Intent:
    """The escrow's PaymentIntent, before anything is reserved: Stripe away leaves no
    reservation behind."""
    try:
        # The escrow's id in the key: a retry after a timeout is a new purchase.
        return ports.payments.create_escrow_intent(
            escrow_id,
            listing,
            amount_cents=amount,
            idempotency_key=stripe_key(f"payment_intent.create:{escrow_id}"),
        )
    except DomainError:
        raise
    except Exception as error:
        logger.exception("escrow payment intent not created; nothing reserved")
        report_error(error)
        raise DependencyUnavailable("The purchase could not be made; try again.") from error


def _cancel_unused(ports: Ports, intent: Intent) -> None:
    """Cancel the PaymentIntent of a purchase that reserved nothing (another buyer won,
    the store failed): nobody ever held its client secret. Its ``canceled`` webhook finds
    no funded escrow and changes nothing."""
    try:
        ports.payments.cancel_payment_intent(intent.id)
    except Exception:  # noqa: BLE001  (the refusal the buyer is told about matters more)
        logger.warning("payment intent of a purchase not made left open", exc_info=True)


def give_back_allowance(uow: UnitOfWork, escrow: Escrow) -> None:
    """Stage the ticket the escrow's purchase counted against its buyer's allowance back,
    as its escrow is cancelled (the buyer does not keep a ticket through it)."""
    if escrow.counted:
        uow.standings.give_back(escrow.buyer_id, escrow.event_id, 1)
