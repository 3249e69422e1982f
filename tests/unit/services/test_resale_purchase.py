"""Buying a resale listing on the fakes: the listing reserved for one buyer's escrow under
a manual-capture PaymentIntent of its price; the seller, a second buyer, a price over the
event's cap, an event that started and Stripe away all refused, no PaymentIntent left
open."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.accounts import Principal
from admitone.domain.catalog import ResalePolicy
from admitone.domain.errors import DependencyUnavailable, DomainError, Forbidden, LimitExceeded
from admitone.domain.ids import Prefix, new_id
from admitone.domain.orders import BuyerStanding, PaymentStatus
from admitone.domain.resale import (
    EscrowStatus,
    Listing,
    ListingStatus,
    ListingUnavailable,
    ResaleNotAllowed,
)
from admitone.domain.tickets import Ticket
from admitone.services import listings
from admitone.services.resale_purchase import purchase_listing
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop

FACE = 10000


def _key(operation: str) -> str:
    return f"test:{operation}"


def _listed(shop: Shop, *, price: int = 15000) -> tuple[Listing, Principal]:
    type_id = shop.ticket_type("GA", price_cents=FACE, capacity=10)
    seller = a_buyer()
    ticket = Ticket(
        id=new_id(Prefix.TICKET, now=NOW),
        code="ABCD-2345",
        order_id=new_id(Prefix.ORDER, now=NOW),
        event_id=shop.event.id,
        ticket_type_id=type_id,
        holder_id=seller.user_id,
        token="signed",
        issued_at=NOW,
    )
    shop.store.tickets.add(ticket)
    listing = listings.list_ticket(shop.store, ticket.id, seller, price_cents=price, now=NOW)
    return listing, seller


def _open_intents(shop: Shop) -> list[str]:
    return [
        intent.id
        for intent in shop.payments.intents.values()
        if intent.status is not PaymentStatus.CANCELED
    ]


def test_a_purchase_reserves_the_listing_under_a_payment_intent_of_its_price():
    shop = open_shop()
    listing, seller = _listed(shop)
    buyer = a_buyer()

    purchase = purchase_listing(shop.ports, listing.id, buyer, stripe_key=_key, now=NOW)

    escrow = purchase.escrow
    assert (escrow.status, escrow.amount_cents, escrow.currency) == (
        EscrowStatus.CREATED,
        15000,
        "USD",
    )
    assert (escrow.buyer_id, escrow.seller_id, escrow.buyer_email) == (
        buyer.user_id,
        seller.user_id,
        buyer.email,
    )
    assert shop.store.escrows.get(escrow.id) == escrow
    intent = shop.payments.intents[escrow.payment_intent_id]
    assert (intent.amount, intent.escrow_id) == (15000, escrow.id)
    assert purchase.client_secret == intent.client_secret
    stored = shop.store.listings.get(listing.id)
    assert stored is not None
    assert (stored.status, stored.escrow_id) == (ListingStatus.RESERVED, escrow.id)
    # Off the market, and the ticket still counts as listed (it cannot be listed again).
    page, _ = shop.store.listings.active_of_event(shop.event.id, limit=10, start=None)
    assert page == []
    assert shop.store.listings.listed[listing.ticket_id] == listing.id


def test_the_seller_cannot_buy_their_own_listing():
    shop = open_shop()
    listing, seller = _listed(shop)

    with pytest.raises(Forbidden) as refused:
        purchase_listing(shop.ports, listing.id, seller, stripe_key=_key, now=NOW)

    assert refused.value.code == "OWN_LISTING"
    assert shop.payments.intents == {}


def test_a_second_buyer_is_refused_and_charged_nothing():
    shop = open_shop()
    listing, _ = _listed(shop)
    first = purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)

    with pytest.raises(ListingUnavailable) as refused:
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)

    assert refused.value.code == "LISTING_UNAVAILABLE"
    assert _open_intents(shop) == [first.escrow.payment_intent_id]


def _race(
    shop: Shop, purchases: list[tuple[Principal, str]], refusal: type[DomainError]
) -> tuple[list[str], list[DomainError]]:
    """Every (buyer, listing id) purchase at once on its own thread: the PaymentIntents of
    those that reserved, and the ``refusal`` errors of the others."""
    barrier = threading.Barrier(len(purchases))
    won: list[str] = []
    refused: list[DomainError] = []

    def buy(buyer: Principal, listing_id: str) -> None:
        barrier.wait()
        try:
            bought = purchase_listing(shop.ports, listing_id, buyer, stripe_key=_key, now=NOW)
            won.append(bought.escrow.payment_intent_id)
        except refusal as error:
            refused.append(error)

    threads = [threading.Thread(target=buy, args=purchase) for purchase in purchases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won, refused


def test_of_buyers_racing_for_one_listing_one_reserves_it_and_every_other_intent_is_cancelled():
    shop = open_shop()
    listing, _ = _listed(shop)
    buyers = [a_buyer() for _ in range(4)]

    won, refused = _race(shop, [(buyer, listing.id) for buyer in buyers], ListingUnavailable)

    assert len(won) == 1, (won, refused)
    assert len(refused) == len(buyers) - 1
    assert _open_intents(shop) == won
    assert len(shop.store.escrows.by_id) == 1


def test_a_listing_priced_over_the_events_cap_as_it_stands_now_is_not_sold():
    shop = open_shop()
    listing, _ = _listed(shop, price=15000)
    shop.store.catalog.add_event(replace(shop.event, resale=ResalePolicy(max_pct=120)))

    with pytest.raises(ListingUnavailable):
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)

    shop.store.catalog.add_event(replace(shop.event, resale=ResalePolicy(allowed=False)))
    with pytest.raises(ResaleNotAllowed):
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)
    assert shop.payments.intents == {}


def test_a_listing_of_an_event_that_started_or_a_ticket_that_moved_on_is_not_sold():
    shop = open_shop()
    listing, _ = _listed(shop)
    started = shop.event.starts_at + timedelta(minutes=1)

    with pytest.raises(ListingUnavailable):
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=started)

    ticket = shop.store.tickets.get(listing.ticket_id)
    assert ticket is not None
    shop.store.tickets.by_id[ticket.id] = replace(ticket, version=2)
    with pytest.raises(ListingUnavailable):
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)
    assert shop.payments.intents == {}


def test_stripe_away_reserves_nothing():
    shop = open_shop()
    listing, _ = _listed(shop)
    shop.payments.fail_next()

    with pytest.raises(DependencyUnavailable):
        purchase_listing(shop.ports, listing.id, a_buyer(), stripe_key=_key, now=NOW)

    stored = shop.store.listings.get(listing.id)
    assert stored is not None
    assert stored.status is ListingStatus.ACTIVE
    assert shop.store.escrows.by_id == {}


def test_a_resale_purchase_counts_against_the_buyers_allowance_and_none_past_it():
    shop = open_shop()
    buyer = a_buyer()
    shop.store.orders.standings[(buyer.user_id, shop.event.id)] = BuyerStanding(tickets=3)
    first, _ = _listed(shop)
    second, _ = _listed(shop)

    escrow = purchase_listing(shop.ports, first.id, buyer, stripe_key=_key, now=NOW).escrow
    with pytest.raises(LimitExceeded) as refused:
        purchase_listing(shop.ports, second.id, buyer, stripe_key=_key, now=NOW)

    assert escrow.counted
    assert shop.store.orders.standing(buyer.user_id, shop.event.id).tickets == 4
    assert refused.value.code == "PURCHASE_LIMIT_EXCEEDED"
    assert [(e.field, e.code) for e in refused.value.errors] == [("listing_id", "PER_BUYER_LIMIT")]
    assert _open_intents(shop) == [escrow.payment_intent_id]  # none opened for the refusal
    stored = shop.store.listings.get(second.id)
    assert stored is not None
    assert stored.status is ListingStatus.ACTIVE


def test_a_buyer_cooling_down_after_a_purchase_is_refused_a_resale_too():
    shop = open_shop()
    buyer = a_buyer()
    cooling = BuyerStanding(tickets=1, cooldown_until=NOW + timedelta(minutes=5))
    shop.store.orders.standings[(buyer.user_id, shop.event.id)] = cooling
    listing, _ = _listed(shop)

    with pytest.raises(LimitExceeded) as refused:
        purchase_listing(shop.ports, listing.id, buyer, stripe_key=_key, now=NOW)

    assert [e.code for e in refused.value.errors] == ["PURCHASE_COOLDOWN"]
    assert shop.payments.intents == {}


def test_one_buyer_racing_for_two_listings_with_one_ticket_of_allowance_left_gets_one():
    shop = open_shop()
    buyer = a_buyer()
    shop.store.orders.standings[(buyer.user_id, shop.event.id)] = BuyerStanding(tickets=3)
    listings_ = [_listed(shop)[0] for _ in range(2)]

    won, refused = _race(shop, [(buyer, listing.id) for listing in listings_], LimitExceeded)

    assert len(won) == 1, (won, refused)
    assert [e.code for error in refused for e in error.errors] == ["PER_BUYER_LIMIT"]
    assert _open_intents(shop) == won
    assert shop.store.orders.standing(buyer.user_id, shop.event.id).tickets == 4
