"""Releasing a funded resale escrow after its cooling period (issue 19, RULES §13).

Once the ticket moved to the buyer and the cooling period passed, the authorized
PaymentIntent is captured (Stripe is asked first, under a key derived from the escrow,
and a retry finds it captured already), then one unit of work moves the escrow to
``released`` and books the split as one balanced transaction: venue royalty (to the
venue's pending proceeds of the event, settled as its ticket sales are), artist royalty,
platform share, and the seller's proceeds pending until 48 h after the event ends, each
share by largest remainder (``domain.resale.split_resale``) at the royalty rates the
escrow was opened under (the event's, else its venue's), plus what
Stripe charged for the payment; and records the seller's 1099-DA sale with their year
(``tax_sales``: a year moved by another release meanwhile is ``Contention``, retried).

An escrow whose event was cancelled, or whose ticket was voided, before release is not
captured: its PaymentIntent is cancelled (the buyer is never charged) and the escrow
cancelled. An escrow still
``created`` (its buyer never paid) once as long as the cooling period has passed since
the purchase is let go: its PaymentIntent cancelled, the escrow cancelled, its listing
for sale again; one whose money is authorized already is left to its funding webhook.
Applied any number of times: an escrow released or cancelled is left as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from admitone.domain import ledger
from admitone.domain.catalog import EventStatus
from admitone.domain.ids import Prefix, is_id
from admitone.domain.orders import PaymentStatus
from admitone.domain.resale import (
    Escrow,
    EscrowMoved,
    EscrowStatus,
    ListingStatus,
    ListingUnavailable,
    escrow_moved,
    releasable_at,
    reopened,
    split_resale,
)
from admitone.domain.tickets import TicketStatus
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.services import resale_reversals, tax_sales
from admitone.services.resale_purchase import give_back_allowance


class Release(StrEnum):
    RELEASED = "released"
    NOT_DUE = "not_due"  # the cooling period has not passed: try again later
    CANCELLED = "cancelled"  # its event cancelled or its ticket voided: nothing captured
    EXPIRED = "expired"  # never paid: let go, its listing for sale again
    UNCHANGED = "unchanged"  # unknown, or no longer funded (released or cancelled already)
    STUCK = "stuck"  # the authorization is gone: a person decides


def release_escrow(ports: Ports, escrow_id: str, *, cooling: timedelta, now: datetime) -> Release:
    """Capture the funded escrow's payment and book the split once its cooling passed;
    let an unpaid one go once as long has passed since the purchase."""
    escrow = ports.store.escrows.get(escrow_id) if is_id(escrow_id, Prefix.ESCROW) else None
    if escrow is not None and escrow.status is EscrowStatus.CREATED:
        return _expire(ports, escrow, window=cooling, now=now)
    if escrow is not None and escrow.status is EscrowStatus.FUNDED:
        return _release(ports, escrow, cooling=cooling, now=now)
    logger.info("escrow released or cancelled: nothing to do", extra={"escrow_id": escrow_id})
    return Release.UNCHANGED


def _release(ports: Ports, escrow: Escrow, *, cooling: timedelta, now: datetime) -> Release:
    store = ports.store
    logger.append_keys(escrow_id=escrow.id, payment_intent_id=escrow.payment_intent_id)
    assert escrow.funded_at is not None  # stamped by the move to funded
    if now < releasable_at(escrow.funded_at, cooling):
        return Release.NOT_DUE
    event = store.catalog.event(escrow.event_id)
    ticket = store.tickets.get(escrow.ticket_id)
    # An escrow's event and ticket are never deleted.
    assert event is not None
    assert ticket is not None
    # Voided since it moved to the buyer (its order refunded, a lost dispute): the buyer
    # holds nothing, so nothing is charged. Passed on by the buyer since: still theirs to sell.
    if event.status is EventStatus.CANCELLED or ticket.status is TicketStatus.VOID:
        return _cancel(ports, escrow, now=now)
    intent = ports.payments.retrieve_payment_intent(escrow.payment_intent_id)
    if intent.status is PaymentStatus.REQUIRES_CAPTURE:
        intent = ports.payments.capture_payment_intent(
            escrow.payment_intent_id, idempotency_key=f"escrow.capture:{escrow.id}"
        )
    if intent.status is not PaymentStatus.SUCCEEDED:
        logger.error("escrow payment not capturable", extra={"status": intent.status.value})
        _count("EscrowCaptureFailed")
        return Release.STUCK
    party = ledger.ResaleParty(
        escrow_id=escrow.id,
        listing_id=escrow.listing_id,
        event_id=escrow.event_id,
        venue_id=event.venue_id,
        seller_id=escrow.seller_id,
        currency=escrow.currency,
    )
    # The rates of the sale (the event's, else its venue's, when the buyer bought).
    split = split_resale(escrow.amount_cents, escrow.royalties)
    uow = store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.RELEASED, now=now))
    uow.ledger.book(ledger.resale(party, split), now=now)
    tax_sales.stage_sale(store, uow, escrow, ticket, split, now=now)
    try:
        uow.commit()
    except EscrowMoved:
        logger.info("escrow released meanwhile by another delivery")
        return Release.UNCHANGED
    # Cancelled while it was being captured: the cancellation's reversal may have looked
    # before this release was written, so it is reversed here (once, whoever is first).
    cancelled = store.catalog.event(escrow.event_id)
    if cancelled is not None and cancelled.status is EventStatus.CANCELLED:
        resale_reversals.reverse(ports, escrow.id, now=now)
    logger.info(
        "escrow released, split booked",
        extra={
            "venue_royalty": split.venue_royalty,
            "artist_royalty": split.artist_royalty,
            "platform_share": split.platform_share,
            "seller_proceeds": split.seller_proceeds,
        },
    )
    _count("EscrowReleased")
    return Release.RELEASED


def _expire(ports: Ports, escrow: Escrow, *, window: timedelta, now: datetime) -> Release:
    """Let an unpaid escrow go once ``window`` has passed since the purchase."""
    logger.append_keys(escrow_id=escrow.id, payment_intent_id=escrow.payment_intent_id)
    if now < escrow.created_at + window:
        return Release.NOT_DUE
    intent = ports.payments.retrieve_payment_intent(escrow.payment_intent_id)
    if intent.status is PaymentStatus.REQUIRES_CAPTURE:
        return Release.NOT_DUE  # paid: its funding webhook is on its way
    if not ports.payments.cancel_payment_intent(escrow.payment_intent_id):
        return Release.NOT_DUE  # going through now: its webhook decides
    listing = ports.store.listings.get(escrow.listing_id)
    assert listing is not None  # listings are never deleted
    uow = ports.store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.CANCELLED, now=now))
    give_back_allowance(uow, escrow)
    if listing.status is ListingStatus.RESERVED and listing.escrow_id == escrow.id:
        uow.listings.settle_reservation(listing, reopened(listing))
    try:
        uow.commit()
    except (EscrowMoved, ListingUnavailable):
        return Release.UNCHANGED
    logger.info("unpaid escrow let go; its listing is for sale again")
    _count("EscrowExpired")
    return Release.EXPIRED


def _cancel(ports: Ports, escrow: Escrow, *, now: datetime) -> Release:
    if not ports.payments.cancel_payment_intent(escrow.payment_intent_id):
        logger.error("stopped escrow's payment went through: refund by hand")
        _count("EscrowUncancellable")
        return Release.STUCK
    uow = ports.store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.CANCELLED, now=now))
    give_back_allowance(uow, escrow)
    try:
        uow.commit()
    except EscrowMoved:
        return Release.UNCHANGED
    logger.info("escrow stopped before release: cancelled uncaptured")
    _count("EscrowCancelled")
    return Release.CANCELLED


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
