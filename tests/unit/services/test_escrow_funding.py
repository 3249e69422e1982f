"""A resale escrow's PaymentIntent applied on the fakes: authorized -> the ticket moves to
the buyer with the escrow funded and the listing sold, in one unit of work, once however
often Stripe says so; a ticket that can no longer move -> the PaymentIntent cancelled
first, the escrow cancelled, the listing ended; cancelled -> the listing for sale again,
in any order of deliveries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.keys import KeySet
from admitone.domain.orders import PaymentStatus
from admitone.domain.payments import Intent
from admitone.domain.resale import EscrowStatus, ListingEnd, ListingStatus
from admitone.domain.tickets import TicketStatus
from admitone.domain.tokens import verify_ticket_token
from admitone.services.escrow_funding import apply_escrow_intent
from admitone.services.resale_purchase import Purchase, purchase_listing
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys
from tests.unit.services.test_resale_purchase import _key, _listed

__all__ = ["signing_keys"]  # the fixture the funding keys come from

LATER = NOW + timedelta(minutes=2)


@pytest.fixture(autouse=True)
def funding_keys(monkeypatch: pytest.MonkeyPatch, signing_keys: KeySet) -> None:
    monkeypatch.setattr("admitone.services.escrow_funding.load_keyset", lambda: signing_keys)


def _bought(shop: Shop) -> Purchase:
    listing, _ = _listed(shop)
    return purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)


def _told(shop: Shop, purchase: Purchase, status: PaymentStatus) -> Intent:
    """The PaymentIntent as a webhook says it is (the fake Stripe moved to ``status``)."""
    return shop.payments.settle(purchase.escrow.payment_intent_id, status)


def _transfers(shop: Shop) -> list[dict[str, object]]:
    return [
        dict(entry.item.detail["data"])
        for entry in shop.store.outbox.entries.values()
        if entry.item.event_type == "ticket.transferred"
    ]


def test_an_authorized_escrow_moves_the_ticket_to_the_buyer_once(signing_keys: KeySet):
    shop = open_shop()
    purchase = _bought(shop)
    escrow = purchase.escrow
    authorized = _told(shop, purchase, PaymentStatus.REQUIRES_CAPTURE)
    before = shop.store.tickets.get(escrow.ticket_id)
    assert before is not None

    apply_escrow_intent(shop.ports, authorized, now=LATER)
    apply_escrow_intent(shop.ports, authorized, now=LATER + timedelta(seconds=1))  # duplicate

    funded = shop.store.escrows.get(escrow.id)
    assert funded is not None
    assert (funded.status, funded.funded_at) == (EscrowStatus.FUNDED, LATER)
    ticket = shop.store.tickets.get(escrow.ticket_id)
    assert ticket is not None
    assert (ticket.holder_id, ticket.version, ticket.attendee_email) == (
        escrow.buyer_id,
        before.version + 1,
        escrow.buyer_email,
    )
    assert ticket.token != before.token
    claims = verify_ticket_token(
        ticket.token, signing_keys.public_keys(), event_id=ticket.event_id, now=LATER
    )
    assert (claims.ticket_id, claims.version) == (ticket.id, 2)
    listing = shop.store.listings.get(escrow.listing_id)
    assert listing is not None
    assert (listing.status, listing.ended_at) == (ListingStatus.SOLD, LATER)
    assert escrow.ticket_id not in shop.store.listings.listed
    assert _transfers(shop) == [
        {
            "ticket_id": ticket.id,
            "order_id": ticket.order_id,
            "event_id": ticket.event_id,
            "from_holder_id": escrow.seller_id,
            "to_holder_id": escrow.buyer_id,
            "version": 2,
            "escrow_id": escrow.id,
        }
    ]
    # Not charged: the money waits, authorized, for the release.
    assert shop.payments.intents[escrow.payment_intent_id].status is (
        PaymentStatus.REQUIRES_CAPTURE
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": TicketStatus.VOID}, ListingEnd.TICKET_VOIDED),
        ({"scans": 1}, ListingEnd.TICKET_SCANNED),
        ({"version": 2, "holder_id": "usr_someone"}, ListingEnd.TICKET_TRANSFERRED),
    ],
)
def test_a_ticket_that_can_no_longer_move_cancels_the_payment_intent_and_ends_the_listing(
    change: dict[str, object], reason: ListingEnd
):
    shop = open_shop()
    purchase = _bought(shop)
    escrow = purchase.escrow
    ticket = shop.store.tickets.get(escrow.ticket_id)
    assert ticket is not None
    shop.store.tickets.by_id[ticket.id] = replace(ticket, **change)  # type: ignore[arg-type]
    authorized = _told(shop, purchase, PaymentStatus.REQUIRES_CAPTURE)

    apply_escrow_intent(shop.ports, authorized, now=LATER)

    assert shop.payments.intents[escrow.payment_intent_id].status is PaymentStatus.CANCELED
    cancelled = shop.store.escrows.get(escrow.id)
    assert cancelled is not None
    assert cancelled.status is EscrowStatus.CANCELLED
    listing = shop.store.listings.get(escrow.listing_id)
    assert listing is not None
    assert (listing.status, listing.end_reason) == (ListingStatus.ENDED, reason)
    assert shop.store.tickets.get(ticket.id) == replace(ticket, **change)  # type: ignore[arg-type]
    assert _transfers(shop) == []


def test_a_cancelled_event_cancels_the_escrow_before_the_ticket_moves():
    shop = open_shop()
    purchase = _bought(shop)
    shop.store.catalog.add_event(replace(shop.event, status=shop.event.status.CANCELLED))

    apply_escrow_intent(
        shop.ports, _told(shop, purchase, PaymentStatus.REQUIRES_CAPTURE), now=LATER
    )

    listing = shop.store.listings.get(purchase.listing.id)
    assert listing is not None
    assert listing.end_reason is ListingEnd.EVENT_CANCELLED
    assert shop.payments.intents[purchase.escrow.payment_intent_id].status is (
        PaymentStatus.CANCELED
    )


def test_a_cancelled_payment_intent_puts_the_listing_back_on_sale():
    shop = open_shop()
    purchase = _bought(shop)

    cancelled = _told(shop, purchase, PaymentStatus.CANCELED)
    apply_escrow_intent(shop.ports, cancelled, now=LATER)
    apply_escrow_intent(shop.ports, cancelled, now=LATER)  # duplicate

    escrow = shop.store.escrows.get(purchase.escrow.id)
    assert escrow is not None
    assert (escrow.status, escrow.cancelled_at) == (EscrowStatus.CANCELLED, LATER)
    listing = shop.store.listings.get(purchase.listing.id)
    assert listing is not None
    assert (listing.status, listing.escrow_id) == (ListingStatus.ACTIVE, None)
    page, _ = shop.store.listings.active_of_event(shop.event.id, limit=10, start=None)
    assert [one.id for one in page] == [listing.id]
    # A late "authorized" for the cancelled escrow moves nothing.
    late = replace(cancelled, status=PaymentStatus.REQUIRES_CAPTURE)
    apply_escrow_intent(shop.ports, late, now=LATER)
    assert _transfers(shop) == []


def test_a_cancellation_delivered_after_the_funding_leaves_the_funded_escrow():
    shop = open_shop()
    purchase = _bought(shop)
    authorized = _told(shop, purchase, PaymentStatus.REQUIRES_CAPTURE)
    apply_escrow_intent(shop.ports, authorized, now=LATER)

    apply_escrow_intent(shop.ports, replace(authorized, status=PaymentStatus.CANCELED), now=LATER)

    escrow = shop.store.escrows.get(purchase.escrow.id)
    assert escrow is not None
    assert escrow.status is EscrowStatus.FUNDED
    assert len(_transfers(shop)) == 1


def test_a_payment_intent_of_no_escrow_of_ours_or_still_unpaid_changes_nothing():
    shop = open_shop()
    purchase = _bought(shop)
    intent = shop.payments.intents[purchase.escrow.payment_intent_id]

    apply_escrow_intent(shop.ports, replace(intent, escrow_id="esc_unknown"), now=LATER)
    apply_escrow_intent(shop.ports, replace(intent, id="pi_other"), now=LATER)
    apply_escrow_intent(shop.ports, intent, now=LATER)  # requires_payment_method

    escrow = shop.store.escrows.get(purchase.escrow.id)
    assert escrow == purchase.escrow
    listing = shop.store.listings.get(purchase.listing.id)
    assert listing == purchase.listing


def test_an_escrow_whose_listing_is_no_longer_held_for_it_never_moves_the_ticket():
    shop = open_shop()
    purchase = _bought(shop)
    escrow = purchase.escrow
    # However it came about, the listing is no longer reserved for this escrow.
    shop.store.listings.by_id[escrow.listing_id] = replace(purchase.listing, escrow_id="esc_2")
    ticket = shop.store.tickets.get(escrow.ticket_id)

    apply_escrow_intent(
        shop.ports, _told(shop, purchase, PaymentStatus.REQUIRES_CAPTURE), now=LATER
    )

    assert shop.store.tickets.get(escrow.ticket_id) == ticket
    assert shop.payments.intents[escrow.payment_intent_id].status is PaymentStatus.CANCELED
    cancelled = shop.store.escrows.get(escrow.id)
    assert cancelled is not None
    assert cancelled.status is EscrowStatus.CANCELLED
    listing = shop.store.listings.get(escrow.listing_id)
    assert listing is not None
    assert listing.escrow_id == "esc_2"
