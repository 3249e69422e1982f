"""Stopping open resale escrows at once on the fakes (issue 19): a cancelled event's or a
voided ticket's escrows, reserved or funded, are let go uncaptured, their listings ended,
exactly once however often the domain event comes; a released or unrelated escrow is
left alone, and one whose payment cannot be cancelled is not cancelled in the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import pytest

from admitone.domain import ledger
from admitone.domain.catalog import EventStatus
from admitone.domain.keys import KeySet
from admitone.domain.orders import PaymentStatus
from admitone.domain.resale import Escrow, EscrowStatus, ListingEnd, ListingStatus
from admitone.domain.tickets import TicketStatus
from admitone.services import escrow_stops, listing_ends
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.resale_purchase import purchase_listing
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys
from tests.unit.services.test_escrow_release import COOLING, FUNDED_AT, _funded
from tests.unit.services.test_resale_purchase import _key, _listed

__all__ = ["signing_keys"]  # the fixture the funding keys come from

LATER = FUNDED_AT + timedelta(minutes=1)


@pytest.fixture(autouse=True)
def funding_keys(monkeypatch: pytest.MonkeyPatch, signing_keys: KeySet) -> None:
    monkeypatch.setattr("admitone.services.escrow_funding.load_keyset", lambda: signing_keys)


def _reserved(shop: Shop) -> Escrow:
    listing, _ = _listed(shop, price=12000)
    return purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW).escrow


def _state(shop: Shop, escrow: Escrow) -> tuple[EscrowStatus, PaymentStatus, str, str | None]:
    stored = shop.store.escrows.get(escrow.id)
    listing = shop.store.listings.get(escrow.listing_id)
    assert stored is not None
    assert listing is not None
    intent = shop.payments.intents[escrow.payment_intent_id]
    end = listing.end_reason.value if listing.end_reason else None
    return stored.status, intent.status, listing.status.value, end


def _cancelled(shop: Shop) -> dict[str, str]:
    shop.store.catalog.add_event(replace(shop.event, status=EventStatus.CANCELLED))
    return {"event_id": shop.event.id}


def test_a_cancelled_events_reserved_and_funded_escrows_stop_at_once_and_once_only():
    shop = open_shop()
    funded, reserved = _funded(shop), _reserved(shop)
    stopped_before = (EscrowStatus.CANCELLED, PaymentStatus.CANCELED, "ended", "event_cancelled")

    data = _cancelled(shop)
    first = listing_ends.on_domain_event(shop.ports, "event.cancelled", data, now=LATER)
    again = listing_ends.on_domain_event(shop.ports, "event.cancelled", data, now=LATER)

    assert (first, again) == (2, 0)
    assert _state(shop, funded) == stopped_before
    assert _state(shop, reserved) == stopped_before
    assert shop.store.escrows.open_of_event(shop.event.id, limit=10, start=None) == ([], None)
    assert shop.store.ledger.transactions == {}
    # The release job, when it comes, finds nothing to do.
    due = FUNDED_AT + COOLING
    assert release_escrow(shop.ports, funded.id, cooling=COOLING, now=due) is Release.UNCHANGED


def test_an_events_escrows_are_stopped_page_by_page(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(escrow_stops, "EVENT_PAGE", 2)
    shop = open_shop()
    escrows = [_reserved(shop) for _ in range(5)]
    _cancelled(shop)

    assert escrow_stops.stop_for_event(
        shop.ports, shop.event.id, ListingEnd.EVENT_CANCELLED, now=LATER
    ) == len(escrows)
    assert {_state(shop, one)[0] for one in escrows} == {EscrowStatus.CANCELLED}


@pytest.mark.parametrize("event_type", ["order.charged_back", "order.refunded"])
def test_a_voided_tickets_funded_escrow_stops_and_the_others_stay(
    event_type: str, monkeypatch: pytest.MonkeyPatch
):
    shop = open_shop()
    voided, kept = _funded(shop), _funded(shop)
    ticket = shop.store.tickets.get(voided.ticket_id)
    assert ticket is not None
    shop.store.tickets.by_id[ticket.id] = replace(ticket, status=TicketStatus.VOID)
    if event_type == "order.charged_back":
        data = {"event_id": shop.event.id, "void_ticket_ids": [ticket.id]}
        reason = "ticket_voided"
    else:
        # The refunded order, as far as the consumer reads it: its tickets.
        refunded = SimpleNamespace(ticket_ids=[ticket.id])
        monkeypatch.setattr(shop.store.orders, "get", lambda order_id, **_: refunded)
        data = {"order_id": ticket.order_id, "reason": "requested_by_customer"}
        reason = "ticket_refunded"

    for expected in (1, 0):
        assert listing_ends.on_domain_event(shop.ports, event_type, data, now=LATER) == expected

    assert _state(shop, voided) == (
        EscrowStatus.CANCELLED,
        PaymentStatus.CANCELED,
        "ended",
        reason,
    )
    assert _state(shop, kept) == (
        EscrowStatus.FUNDED,
        PaymentStatus.REQUIRES_CAPTURE,
        ListingStatus.SOLD.value,
        None,
    )


def test_a_released_escrow_is_not_stopped_and_an_uncancellable_one_stays_open():
    shop = open_shop()
    released, captured = _funded(shop), _funded(shop)
    release_escrow(shop.ports, released.id, cooling=COOLING, now=FUNDED_AT + COOLING)
    # Captured by a release that won the race but has not written yet.
    shop.payments.settle(captured.payment_intent_id, PaymentStatus.SUCCEEDED)
    _cancelled(shop)

    assert escrow_stops.stop(shop.ports, released.id, ListingEnd.EVENT_CANCELLED, now=LATER) is (
        False
    )
    assert escrow_stops.stop(shop.ports, captured.id, ListingEnd.EVENT_CANCELLED, now=LATER) is (
        False
    )
    assert _state(shop, released)[:2] == (EscrowStatus.RELEASED, PaymentStatus.SUCCEEDED)
    assert _state(shop, captured)[:3] == (
        EscrowStatus.FUNDED,
        PaymentStatus.SUCCEEDED,
        ListingStatus.SOLD.value,
    )


def _shown(shop: Shop, account: ledger.Account) -> int:
    return account.shown(shop.store.ledger.balance(account))


def test_a_cancelled_events_released_resale_is_refunded_and_its_split_reversed_once():
    shop = open_shop()
    escrow = _funded(shop)
    due = FUNDED_AT + COOLING
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=due) is Release.RELEASED
    venue = ledger.pending(shop.event.venue_id, shop.event.id, "USD")
    seller = ledger.seller_pending(escrow.seller_id, shop.event.id, "USD")
    assert (_shown(shop, venue), _shown(shop, seller)) == (1500, 12750)

    data = _cancelled(shop)
    later = due + timedelta(minutes=1)
    first = listing_ends.on_domain_event(shop.ports, "event.cancelled", data, now=later)
    again = listing_ends.on_domain_event(shop.ports, "event.cancelled", data, now=later)

    assert (first, again) == (1, 0)
    assert shop.payments.refunded(escrow.payment_intent_id) == 15000
    refunded = shop.store.escrows.get(escrow.id)
    assert refunded is not None
    assert refunded.status is EscrowStatus.REFUNDED
    assert _shown(shop, venue) == 0
    assert _shown(shop, seller) == 0
    assert _shown(shop, ledger.revenue("USD")) == 0
    assert _shown(shop, ledger.artist_royalties("USD")) == 0
    # What is left: the card processing cost, the platform's.
    assert _shown(shop, ledger.clearing("USD")) == -ledger.processing_cost(15000)
    reversal = shop.store.ledger.transactions[f"resale_reversed:{escrow.id}"]
    assert sum(reversal.deltas().values()) == 0
    assert sum(shop.store.ledger.balances.values()) == 0


def test_a_resale_released_while_its_event_was_being_cancelled_is_reversed_by_the_release(
    monkeypatch: pytest.MonkeyPatch,
):
    shop = open_shop()
    escrow = _funded(shop)
    published, cancelled = shop.event, replace(shop.event, status=EventStatus.CANCELLED)
    seen = iter([published])  # the release's first look: not cancelled yet
    real = shop.store.catalog.event
    monkeypatch.setattr(
        shop.store.catalog, "event", lambda event_id: next(seen, None) or real(event_id)
    )
    shop.store.catalog.add_event(cancelled)  # cancelled as it captures

    outcome = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)

    assert outcome is Release.RELEASED
    stored = shop.store.escrows.get(escrow.id)
    assert stored is not None
    assert stored.status is EscrowStatus.REFUNDED
    assert shop.payments.refunded(escrow.payment_intent_id) == 15000
    assert f"resale_reversed:{escrow.id}" in shop.store.ledger.transactions
