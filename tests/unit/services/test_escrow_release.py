"""Releasing a funded resale escrow on the fakes: nothing before the cooling period ends;
then the payment captured and the split booked once (15000 -> venue 1500, artist 0,
platform 750, seller 12750, RULES §13); an escrow whose event was cancelled or whose
ticket was voided let go uncaptured; an escrow never paid let go after as long, its
listing for sale again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain import ledger
from admitone.domain.catalog import EventStatus, ResalePolicy, RoyaltyRates
from admitone.domain.keys import KeySet
from admitone.domain.orders import PaymentStatus
from admitone.domain.resale import Escrow, EscrowStatus, ListingSale, ListingStatus
from admitone.domain.tickets import TicketStatus
from admitone.services import listings
from admitone.services.escrow_funding import apply_escrow_intent
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.resale_purchase import purchase_listing
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys
from tests.unit.services.test_resale_purchase import _key, _listed

__all__ = ["signing_keys"]  # the fixture the funding keys come from

COOLING = timedelta(minutes=10)
FUNDED_AT = NOW + timedelta(minutes=2)


@pytest.fixture(autouse=True)
def funding_keys(monkeypatch: pytest.MonkeyPatch, signing_keys: KeySet) -> None:
    monkeypatch.setattr("admitone.services.escrow_funding.load_keyset", lambda: signing_keys)


def _funded(shop: Shop) -> Escrow:
    listing, _ = _listed(shop, price=15000)
    escrow = purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW).escrow
    authorized = shop.payments.settle(escrow.payment_intent_id, PaymentStatus.REQUIRES_CAPTURE)
    apply_escrow_intent(shop.ports, authorized, now=FUNDED_AT)
    funded = shop.store.escrows.get(escrow.id)
    assert funded is not None
    assert funded.status is EscrowStatus.FUNDED
    return funded


def _shown(shop: Shop, account: ledger.Account) -> int:
    return account.shown(shop.store.ledger.balance(account))


def test_nothing_is_captured_before_the_cooling_period_ends():
    shop = open_shop()
    escrow = _funded(shop)

    early = release_escrow(
        shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING - timedelta(seconds=1)
    )

    assert early is Release.NOT_DUE
    assert shop.payments.intents[escrow.payment_intent_id].status is (
        PaymentStatus.REQUIRES_CAPTURE
    )
    assert shop.store.ledger.transactions == {}


def test_after_the_cooling_period_the_payment_is_captured_and_the_split_booked_once():
    shop = open_shop()
    escrow = _funded(shop)
    due = FUNDED_AT + COOLING

    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=due) is Release.RELEASED
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=due) is Release.UNCHANGED

    released = shop.store.escrows.get(escrow.id)
    assert released is not None
    assert (released.status, released.released_at) == (EscrowStatus.RELEASED, due)
    assert shop.payments.intents[escrow.payment_intent_id].status is PaymentStatus.SUCCEEDED
    venue_id, event_id = shop.event.venue_id, shop.event.id
    assert _shown(shop, ledger.pending(venue_id, event_id, "USD")) == 1500
    assert _shown(shop, ledger.artist_royalties("USD")) == 0
    assert _shown(shop, ledger.revenue("USD")) == 750
    assert _shown(shop, ledger.seller_pending(escrow.seller_id, event_id, "USD")) == 12750
    cost = ledger.processing_cost(15000)
    assert _shown(shop, ledger.clearing("USD")) == 15000 - cost
    assert sorted(shop.store.ledger.transactions) == [
        f"processing_cost:{escrow.id}",
        f"resale:{escrow.id}",
    ]
    assert sum(shop.store.ledger.balances.values()) == 0


def test_the_split_follows_the_venues_rates_and_an_events_own_over_them_as_of_the_purchase():
    shop = open_shop()
    venue = shop.store.catalog.venues[shop.event.venue_id]
    shop.store.catalog.add_venue(replace(venue, royalties=RoyaltyRates(2000, 300)))
    on_venue_rates = _funded(shop)
    shop.event = replace(shop.event, resale=ResalePolicy(royalties=RoyaltyRates(1234, 567)))
    on_event_rates = _funded(shop)
    # Rates changed after the purchases apply to later sales only.
    shop.store.catalog.add_venue(replace(venue, royalties=RoyaltyRates(0, 0)))
    shop.store.catalog.add_event(replace(shop.event, resale=ResalePolicy()))

    for escrow in (on_venue_rates, on_event_rates):
        released = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)
        assert released is Release.RELEASED

    venue_id, event_id = shop.event.venue_id, shop.event.id
    # 15000 at 20 % / 3 % / 5 %: 3000 / 450 / 750 / 10800. At 12.34 % / 5.67 % / 5 %
    # (1851, 850.5, 750, 11548.5): the two half cents go by largest remainder, in order.
    assert _shown(shop, ledger.pending(venue_id, event_id, "USD")) == 3000 + 1851
    assert _shown(shop, ledger.artist_royalties("USD")) == 450 + 851
    assert _shown(shop, ledger.revenue("USD")) == 750 + 750
    assert _shown(shop, ledger.seller_pending(on_venue_rates.seller_id, event_id, "USD")) == 10800
    assert _shown(shop, ledger.seller_pending(on_event_rates.seller_id, event_id, "USD")) == 11548
    assert sum(shop.store.ledger.balances.values()) == 0


def test_a_payment_captured_by_an_earlier_attempt_is_booked_without_a_second_capture():
    shop = open_shop()
    escrow = _funded(shop)
    shop.payments.settle(escrow.payment_intent_id, PaymentStatus.SUCCEEDED)

    outcome = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)

    assert outcome is Release.RELEASED
    assert f"resale:{escrow.id}" in shop.store.ledger.transactions


@pytest.mark.parametrize("stopped", ["event cancelled", "ticket voided"])
def test_an_escrow_stopped_before_release_is_let_go_uncaptured(stopped: str):
    shop = open_shop()
    escrow = _funded(shop)
    if stopped == "event cancelled":
        shop.store.catalog.add_event(replace(shop.event, status=EventStatus.CANCELLED))
    else:
        ticket = shop.store.tickets.get(escrow.ticket_id)
        assert ticket is not None
        shop.store.tickets.by_id[ticket.id] = replace(ticket, status=TicketStatus.VOID)

    outcome = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)

    assert outcome is Release.CANCELLED
    assert shop.payments.intents[escrow.payment_intent_id].status is PaymentStatus.CANCELED
    cancelled = shop.store.escrows.get(escrow.id)
    assert cancelled is not None
    assert cancelled.status is EscrowStatus.CANCELLED
    assert shop.store.ledger.transactions == {}


def test_an_authorization_gone_away_is_left_to_a_person_and_an_unknown_escrow_to_nobody():
    shop = open_shop()
    escrow = _funded(shop)
    shop.payments.settle(escrow.payment_intent_id, PaymentStatus.CANCELED)

    outcome = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)

    assert outcome is Release.STUCK
    stuck = shop.store.escrows.get(escrow.id)
    assert stuck is not None
    assert stuck.status is EscrowStatus.FUNDED
    assert release_escrow(shop.ports, "esc_unknown", cooling=COOLING, now=NOW) is (
        Release.UNCHANGED
    )


def test_an_escrow_never_paid_is_let_go_after_the_window_and_its_listing_is_for_sale_again():
    shop = open_shop()
    listing, _ = _listed(shop, price=15000)
    buyer = a_buyer()
    escrow = purchase_listing(shop.ports, listing.id, buyer, stripe_key=_key, now=NOW).escrow
    assert shop.store.orders.standing(buyer.user_id, shop.event.id).tickets == 1

    early = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=NOW + COOLING / 2)
    late = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=NOW + COOLING)

    assert (early, late) == (Release.NOT_DUE, Release.EXPIRED)
    # The buyer got no ticket through it: the allowance it took is theirs again.
    assert shop.store.orders.standing(buyer.user_id, shop.event.id).tickets == 0
    assert shop.payments.intents[escrow.payment_intent_id].status is PaymentStatus.CANCELED
    gone = shop.store.escrows.get(escrow.id)
    assert gone is not None
    assert gone.status is EscrowStatus.CANCELLED
    again = shop.store.listings.get(listing.id)
    assert again is not None
    assert (again.status, again.escrow_id) == (ListingStatus.ACTIVE, None)
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=NOW + COOLING) is (
        Release.UNCHANGED
    )


def test_an_escrow_paid_but_not_yet_funded_is_left_to_its_webhook():
    shop = open_shop()
    listing, _ = _listed(shop, price=15000)
    escrow = purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW).escrow
    shop.payments.settle(escrow.payment_intent_id, PaymentStatus.REQUIRES_CAPTURE)

    outcome = release_escrow(shop.ports, escrow.id, cooling=COOLING, now=NOW + COOLING)

    assert outcome is Release.NOT_DUE
    assert shop.payments.intents[escrow.payment_intent_id].status is (
        PaymentStatus.REQUIRES_CAPTURE
    )
    shop.payments.settle(escrow.payment_intent_id, PaymentStatus.PROCESSING)
    assert release_escrow(shop.ports, escrow.id, cooling=COOLING, now=NOW + COOLING) is (
        Release.NOT_DUE
    )
    kept = shop.store.escrows.get(escrow.id)
    assert kept is not None
    assert kept.status is EscrowStatus.CREATED


def test_the_sellers_listings_show_the_sale_and_its_proceeds_once_funded_and_released():
    shop = open_shop()
    listing, seller = _listed(shop, price=15000)

    def shown_sale() -> object:
        page = listings.of_seller(shop.store, seller, limit=10, cursor=None, now=NOW)
        assert [one.id for one in page.listings] == [listing.id]
        return page.sales.get(listing.id)

    escrow = purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW).escrow
    assert shown_sale() is None  # reserved: nothing sold yet
    authorized = shop.payments.settle(escrow.payment_intent_id, PaymentStatus.REQUIRES_CAPTURE)
    apply_escrow_intent(shop.ports, authorized, now=FUNDED_AT)
    assert shown_sale() == ListingSale(
        escrow_status=EscrowStatus.FUNDED,
        amount_cents=15000,
        proceeds_cents=12750,
        sold_at=FUNDED_AT,
        released_at=None,
    )

    release_escrow(shop.ports, escrow.id, cooling=COOLING, now=FUNDED_AT + COOLING)

    assert shown_sale() == ListingSale(
        escrow_status=EscrowStatus.RELEASED,
        amount_cents=15000,
        proceeds_cents=12750,
        sold_at=FUNDED_AT,
        released_at=FUNDED_AT + COOLING,
    )
