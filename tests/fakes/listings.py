"""Resale listings, in memory (as adapters/dynamo/listings.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from admitone.domain.errors import Conflict
from admitone.domain.resale import (
    Listing,
    ListingStatus,
    ListingUnavailable,
    TicketAlreadyListed,
)
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.ports.listings import ListingChanges, Listings, Position
from tests.fakes.tickets import FakeTickets
from tests.fakes.transaction import FakeTransaction


@dataclass
class FakeListings(Listings):
    by_id: dict[str, Listing] = field(default_factory=dict)
    # ticket id -> the id of its active listing (the DynamoDB adapter's guard item)
    listed: dict[str, str] = field(default_factory=dict)

    def get(self, listing_id: str) -> Listing | None:
        return self.by_id.get(listing_id)

    def active_of_ticket(self, ticket_id: str) -> Listing | None:
        listing_id = self.listed.get(ticket_id)
        return self.by_id.get(listing_id) if listing_id else None

    def active_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        for_sale = sorted(
            (
                listing
                for listing in self.by_id.values()
                if listing.event_id == event_id and listing.status is ListingStatus.ACTIVE
            ),
            key=lambda listing: (listing.price_cents, listing.id),
        )
        if start:
            after = (int(start["price_cents"]), start["listing_id"])
            for_sale = [one for one in for_sale if (one.price_cents, one.id) > after]
        return _paged(for_sale, limit, lambda last: {"price_cents": str(last.price_cents)})

    def of_seller(
        self, seller_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        theirs = sorted(
            (listing for listing in self.by_id.values() if listing.seller_id == seller_id),
            key=lambda listing: (listing.created_at, listing.id),
            reverse=True,
        )
        if start:
            after = (start["created_at"], start["listing_id"])
            theirs = [one for one in theirs if (one.created_at.isoformat(), one.id) < after]
        return _paged(theirs, limit, lambda last: {"created_at": last.created_at.isoformat()})


def _paged(
    listings: list[Listing], limit: int, position: Callable[[Listing], dict[str, str]]
) -> tuple[list[Listing], dict[str, str] | None]:
    page = listings[:limit]
    if len(listings) <= limit:
        return page, None
    return page, {**position(page[-1]), "listing_id": page[-1].id}


class FakeListingChanges(ListingChanges):
    def __init__(
        self, listings: FakeListings, tickets: FakeTickets, transaction: FakeTransaction
    ) -> None:
        self._listings = listings
        self._tickets = tickets
        self._transaction = transaction

    def _ticket_as_read(self, ticket: Ticket) -> bool:
        stored = self._tickets.get(ticket.id)
        return (
            stored is not None
            and stored.status is TicketStatus.VALID
            and (stored.version, stored.holder_id, stored.scans)
            == (ticket.version, ticket.holder_id, 0)
        )

    def open(self, listing: Listing, ticket: Ticket) -> None:
        def apply_guard() -> None:
            self._listings.listed[ticket.id] = listing.id

        def apply_listing() -> None:
            self._listings.by_id[listing.id] = listing

        self._transaction.stage(
            f"listed {ticket.id}",
            holds=lambda: ticket.id not in self._listings.listed,
            apply=apply_guard,
            error=TicketAlreadyListed("The ticket is listed already."),
        )
        self._transaction.stage(
            f"ticket as listed {ticket.id}",
            holds=lambda: self._ticket_as_read(ticket),
            apply=lambda: None,
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )
        self._transaction.stage(
            f"listing {listing.id}",
            holds=lambda: listing.id not in self._listings.by_id,
            apply=apply_listing,
        )

    def close(self, listing: Listing) -> None:
        def still_active() -> bool:
            stored = self._listings.get(listing.id)
            return stored is not None and stored.status is ListingStatus.ACTIVE

        def apply_listing() -> None:
            self._listings.by_id[listing.id] = listing

        def give_guard_back() -> None:
            del self._listings.listed[listing.ticket_id]

        unavailable = ListingUnavailable("This listing is no longer for sale.")
        self._transaction.stage(
            f"listing {listing.id}", holds=still_active, apply=apply_listing, error=unavailable
        )
        self._transaction.stage(
            f"listed {listing.ticket_id}",
            holds=lambda: self._listings.listed.get(listing.ticket_id) == listing.id,
            apply=give_guard_back,
            error=unavailable,
        )

    def _put(self, listing: Listing) -> None:
        self._listings.by_id[listing.id] = listing

    def reserve(self, listing: Listing, ticket: Ticket) -> None:
        def still_active() -> bool:
            stored = self._listings.get(listing.id)
            return stored is not None and stored.status is ListingStatus.ACTIVE

        unavailable = ListingUnavailable("This listing is no longer for sale.")
        self._transaction.stage(
            f"listing {listing.id}",
            holds=still_active,
            apply=lambda: self._put(listing),
            error=unavailable,
        )
        self._transaction.stage(
            f"ticket as listed {ticket.id}",
            holds=lambda: self._ticket_as_read(ticket),
            apply=lambda: None,
            error=unavailable,
        )

    def settle_reservation(self, reserved: Listing, after: Listing) -> None:
        def still_reserved() -> bool:
            stored = self._listings.get(after.id)
            return (
                stored is not None
                and stored.status is ListingStatus.RESERVED
                and stored.escrow_id == reserved.escrow_id
            )

        def give_guard_back() -> None:
            del self._listings.listed[after.ticket_id]

        unavailable = ListingUnavailable("This listing is no longer reserved for this purchase.")
        self._transaction.stage(
            f"listing {after.id}",
            holds=still_reserved,
            apply=lambda: self._put(after),
            error=unavailable,
        )
        if after.status is not ListingStatus.ACTIVE:
            self._transaction.stage(
                f"listed {after.ticket_id}",
                holds=lambda: self._listings.listed.get(after.ticket_id) == after.id,
                apply=give_guard_back,
                error=unavailable,
            )

    def stop_sale(self, sold: Listing, after: Listing) -> None:
        def still_sold() -> bool:
            stored = self._listings.get(after.id)
            return (
                stored is not None
                and stored.status is ListingStatus.SOLD
                and stored.escrow_id == sold.escrow_id
            )

        self._transaction.stage(
            f"listing {after.id}",
            holds=still_sold,
            apply=lambda: self._put(after),
            error=ListingUnavailable("This listing is no longer sold under this purchase."),
        )
