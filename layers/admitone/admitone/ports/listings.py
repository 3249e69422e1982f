"""Resale listings: reading them, and the changes to listings a unit of work stages.

A ticket has at most one active listing: opening one stages the listing and a "ticket is
listed" guard keyed by the ticket, created only if there is none, and holds only while
the ticket is still as the seller's listing read it (valid, unused, the same version and
holder). Withdrawing or ending a listing holds only while it is still active, and gives
the guard back in the same change, so the ticket can be listed again.

A purchase reserves an active listing for one buyer's escrow (the ticket still as
listed); of buyers racing for one listing exactly one reserves it. A reservation is
settled only by its own escrow: sold or ended (the guard given back) or reopened.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from admitone.domain.resale import Listing
from admitone.domain.tickets import Ticket

Position = Mapping[str, str]


class Listings(ABC):
    @abstractmethod
    def get(self, listing_id: str) -> Listing | None: ...

    @abstractmethod
    def active_of_ticket(self, ticket_id: str) -> Listing | None:
        """The ticket's active listing, if it has one."""

    @abstractmethod
    def active_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        """One page of the event's active listings, cheapest first (then oldest), and
        the position after it (None on the last page)."""

    @abstractmethod
    def of_seller(
        self, seller_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        """One page of a seller's listings in every status, newest first, and the
        position after it."""


class ListingChanges(ABC):
    @abstractmethod
    def open(self, listing: Listing, ticket: Ticket) -> None:
        """Stage a new active listing of ``ticket`` (as read): the commit raises
        ``TicketAlreadyListed`` when the ticket has an active listing, and ``Conflict``
        when the ticket changed since it was read."""

    @abstractmethod
    def close(self, listing: Listing) -> None:
        """Stage ``listing`` (withdrawn or ended) over its stored active self and give the
        ticket's guard back; a listing no longer active raises ``ListingUnavailable``."""

    @abstractmethod
    def reserve(self, listing: Listing, ticket: Ticket) -> None:
        """Stage ``listing`` (reserved for its escrow) over its stored active self, while
        ``ticket`` is still as the listing offered it (the same version and holder, valid,
        unused); otherwise the commit raises ``ListingUnavailable``."""

    @abstractmethod
    def settle_reservation(self, reserved: Listing, after: Listing) -> None:
        """Stage ``after`` (sold, ended or active again) over the stored listing, only
        while it is still reserved for ``reserved``'s escrow; a sold or ended listing
        gives its ticket's guard back. Otherwise the commit raises ``ListingUnavailable``."""

    @abstractmethod
    def stop_sale(self, sold: Listing, after: Listing) -> None:
        """Stage ``after`` (ended) over the stored listing, only while it is still sold
        under ``sold``'s escrow; otherwise the commit raises ``ListingUnavailable``. Its
        ticket's guard went back at the sale."""
