"""Reversing a released resale when its event is cancelled (issue 19, RULES §13).

The resale's buyer is refunded what they paid for it (the escrow's amount, a Stripe
refund under a key derived from the escrow, so a retry finds it made), then one unit of
work moves the escrow ``released`` -> ``refunded`` and books one balanced transaction
``resale_reversed:<escrow>``: the refund out of clearing, and the venue royalty, artist
royalty, platform share and the seller's pending proceeds taken back, each as the release
booked it. The original order's refund goes to its buyer as for any cancelled event
(``cancellation_refunds``). A ticket resold twice has two released escrows: both are
reversed, so every buyer gets back what they paid and no seller keeps proceeds.

Applied any number of times: an escrow no longer ``released`` is left alone.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from admitone.domain import ledger
from admitone.domain.catalog import EventStatus
from admitone.domain.refunds import RefundReason
from admitone.domain.resale import (
    Escrow,
    EscrowMoved,
    EscrowStatus,
    escrow_moved,
    split_resale,
)
from admitone.observability import logger, metrics
from admitone.ports import Ports
from admitone.services import tax_sales

# An event's released escrows are read this many a page (each reversed on its own).
EVENT_PAGE = 25


def reverse_for_event(ports: Ports, event_id: str, *, now: datetime) -> int:
    """Reverse every released resale of the cancelled event; how many this call reversed."""
    event = ports.store.catalog.event(event_id)
    if event is None or event.status is not EventStatus.CANCELLED:
        return 0
    count = 0
    start: dict[str, str] | None = None
    while True:
        page, start = ports.store.escrows.released_of_event(event_id, limit=EVENT_PAGE, start=start)
        count += sum(reverse(ports, one.id, now=now) for one in page)
        if start is None:
            return count


def reverse(ports: Ports, escrow_id: str, *, now: datetime) -> bool:
    """Refund the released resale's buyer and reverse its split; False when the escrow
    is not (or no longer) released, or its event is not cancelled."""
    store = ports.store
    escrow = store.escrows.get(escrow_id)  # the index may lag: judge the stored one
    if escrow is None or escrow.status is not EscrowStatus.RELEASED:
        return False
    event = store.catalog.event(escrow.event_id)
    assert event is not None  # an escrow's event is never deleted
    if event.status is not EventStatus.CANCELLED:
        return False
    logger.append_keys(escrow_id=escrow.id, payment_intent_id=escrow.payment_intent_id)
    refund = ports.payments.refund_payment_intent(
        escrow.payment_intent_id,
        amount=escrow.amount_cents,
        reason=RefundReason.EVENT_CANCELLED.value,
        idempotency_key=f"escrow.refund:{escrow.id}",
        metadata={"escrow_id": escrow.id},
    )
    uow = store.unit_of_work()
    uow.escrows.move(escrow, escrow_moved(escrow, EscrowStatus.REFUNDED, now=now))
    # The rates of the sale, as the release booked them.
    split = split_resale(escrow.amount_cents, escrow.royalties)
    uow.ledger.book(ledger.resale_reversed(_party(escrow, event.venue_id), split), now=now)
    tax_sales.stage_reversal(store, uow, escrow)
    try:
        uow.commit()
    except EscrowMoved:
        logger.info("resale reversed meanwhile by another delivery")
        return False
    logger.info(
        "released resale reversed: buyer refunded",
        extra={"stripe_refund_id": refund.id, "amount": escrow.amount_cents},
    )
    metrics.add_metric(name="ResaleReversed", unit=MetricUnit.Count, value=1)
    return True


def _party(escrow: Escrow, venue_id: str) -> ledger.ResaleParty:
    return ledger.ResaleParty(
        escrow_id=escrow.id,
        listing_id=escrow.listing_id,
        event_id=escrow.event_id,
        venue_id=venue_id,
        seller_id=escrow.seller_id,
        currency=escrow.currency,
    )
