"""Resale listings in the single table.

Items:
- ``ListingRecord`` at ``keys.listing``: ``listing_id``, ``event_id``, ``ticket_id``,
  ``ticket_version``, ``ticket_type_id``, ``seller_id``, ``price_cents``,
  ``face_value_cents``, ``currency``, ``status``, ``end_reason``, ``created_at``,
  ``ended_at``. GSI1 ``SELLER_LISTINGS#<seller>`` / ``LISTING#<created at>#<id>`` (a
  seller's listings, newest first); GSI3 ``EVENT_LISTINGS#<event>`` /
  ``<price, zero-padded>#<id>`` while active only (the event's listings for sale,
  cheapest first): a listing leaves the index when it stops being for sale.
- ``TicketListedRecord`` at ``keys.ticket_listed`` (beside the ticket): ``listing_id``;
  exists while the ticket has an active listing. Created with ``attribute_not_exists``
  in the listing's own transaction, it makes "one active listing a ticket" a condition
  of the write, not of a read before it.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.items import (
    InstantAttribute,
    IntegerAttribute,
    TableItem,
    load,
    put_record,
)
from admitone.adapters.dynamo.table import instant
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.errors import Conflict
from admitone.domain.resale import (
    Listing,
    ListingEnd,
    ListingStatus,
    ListingUnavailable,
    TicketAlreadyListed,
)
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.ports.listings import ListingChanges, Listings, Position


class ListingRecord(TableItem, discriminator="listing"):
    listing_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    ticket_version = IntegerAttribute()
    ticket_type_id = UnicodeAttribute()
    seller_id = UnicodeAttribute()
    price_cents = IntegerAttribute()
    face_value_cents = IntegerAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    end_reason = UnicodeAttribute(null=True)
    created_at = InstantAttribute()
    ended_at = InstantAttribute(null=True)
    escrow_id = UnicodeAttribute(null=True)


class TicketListedRecord(TableItem, discriminator="ticket_listed"):
    listing_id = UnicodeAttribute()


def to_record(listing: Listing) -> ListingRecord:
    for_sale = listing.status is ListingStatus.ACTIVE
    return ListingRecord.at(
        keys.listing(listing.id),
        listing_id=listing.id,
        event_id=listing.event_id,
        ticket_id=listing.ticket_id,
        ticket_version=listing.ticket_version,
        ticket_type_id=listing.ticket_type_id,
        seller_id=listing.seller_id,
        price_cents=listing.price_cents,
        face_value_cents=listing.face_value_cents,
        currency=listing.currency,
        status=listing.status.value,
        end_reason=listing.end_reason.value if listing.end_reason else None,
        created_at=listing.created_at,
        ended_at=listing.ended_at,
        escrow_id=listing.escrow_id,
        GSI1PK=keys.listings_of_seller(listing.seller_id),
        GSI1SK=f"LISTING#{instant(listing.created_at)}#{listing.id}",
        GSI3PK=keys.active_listings_of_event(listing.event_id) if for_sale else None,
        GSI3SK=keys.listing_price_position(listing.price_cents, listing.id) if for_sale else None,
    )


def to_listing(record: ListingRecord) -> Listing:
    return Listing(
        id=record.listing_id,
        event_id=record.event_id,
        ticket_id=record.ticket_id,
        ticket_version=record.ticket_version,
        ticket_type_id=record.ticket_type_id,
        seller_id=record.seller_id,
        price_cents=record.price_cents,
        face_value_cents=record.face_value_cents,
        currency=record.currency,
        status=ListingStatus(record.status),
        end_reason=ListingEnd(record.end_reason) if record.end_reason else None,
        created_at=record.created_at,
        ended_at=record.ended_at,
        escrow_id=record.escrow_id,
    )


def _page(
    index: str,
    partition: str,
    *,
    limit: int,
    start: Position | None,
    newest_first: bool = False,
) -> tuple[list[Listing], dict[str, str] | None]:
    items, resume = table.index_page(
        index, partition, limit=limit, start_key=start, newest_first=newest_first
    )
    # Only listings live in these index partitions.
    listings = [to_listing(ListingRecord.from_raw(table.to_attributes(item))) for item in items]
    return listings, resume


class DynamoListings(Listings):
    def get(self, listing_id: str) -> Listing | None:
        record = load(ListingRecord, keys.listing(listing_id), consistent=True)
        return to_listing(record) if record else None

    def active_of_ticket(self, ticket_id: str) -> Listing | None:
        guard = load(TicketListedRecord, keys.ticket_listed(ticket_id), consistent=True)
        return self.get(guard.listing_id) if guard else None

    def active_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        return _page("GSI3", keys.active_listings_of_event(event_id), limit=limit, start=start)

    def of_seller(
        self, seller_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Listing], dict[str, str] | None]:
        return _page(
            "GSI1", keys.listings_of_seller(seller_id), limit=limit, start=start, newest_first=True
        )


class DynamoListingChanges(ListingChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def open(self, listing: Listing, ticket: Ticket) -> None:
        self._transaction.stage(
            f"listed {ticket.id}",
            put_record(
                TicketListedRecord.at(keys.ticket_listed(ticket.id), listing_id=listing.id),
                condition="attribute_not_exists(PK)",
            ),
            error=TicketAlreadyListed("The ticket is listed already."),
        )
        self._transaction.stage(
            f"ticket as listed {ticket.id}",
            _ticket_as_read(ticket),
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )
        self._transaction.stage(
            f"listing {listing.id}",
            put_record(to_record(listing), condition="attribute_not_exists(PK)"),
        )

    def close(self, listing: Listing) -> None:
        unavailable = ListingUnavailable("This listing is no longer for sale.")
        self._put_from(listing, ListingStatus.ACTIVE, error=unavailable)
        self._unguard(listing, error=unavailable)

    def reserve(self, listing: Listing, ticket: Ticket) -> None:
        unavailable = ListingUnavailable("This listing is no longer for sale.")
        self._put_from(listing, ListingStatus.ACTIVE, error=unavailable)
        self._transaction.stage(
            f"ticket as listed {ticket.id}", _ticket_as_read(ticket), error=unavailable
        )

    def settle_reservation(self, reserved: Listing, after: Listing) -> None:
        unavailable = ListingUnavailable("This listing is no longer reserved for this purchase.")
        self._put_from(
            after, ListingStatus.RESERVED, escrow_id=reserved.escrow_id, error=unavailable
        )
        if after.status is not ListingStatus.ACTIVE:
            self._unguard(after, error=unavailable)

    def stop_sale(self, sold: Listing, after: Listing) -> None:
        self._put_from(
            after,
            ListingStatus.SOLD,
            escrow_id=sold.escrow_id,
            error=ListingUnavailable("This listing is no longer sold under this purchase."),
        )

    def _put_from(
        self,
        after: Listing,
        status: ListingStatus,
        *,
        escrow_id: str | None = None,
        error: Exception,
    ) -> None:
        """``after`` written over the listing while it is still ``status`` (and, given
        ``escrow_id``, still that escrow's)."""
        condition, values = "#status = :before", {":before": status.value}
        if escrow_id is not None:
            condition, values = (
                f"{condition} AND escrow_id = :escrow",
                values | {":escrow": escrow_id},
            )
        self._transaction.stage(
            f"listing {after.id}",
            put_record(to_record(after), condition=condition, values=values),
            error=error,
        )

    def _unguard(self, listing: Listing, *, error: Exception) -> None:
        """The ticket's one-listing guard deleted, while it is this listing's."""
        self._transaction.stage(
            f"listed {listing.ticket_id}",
            table.delete_op(
                keys.ticket_listed(listing.ticket_id),
                condition="listing_id = :listing",
                values={":listing": listing.id},
            ),
            error=error,
        )


def _ticket_as_read(ticket: Ticket) -> dict[str, Any]:
    """A check that the ticket is still as read, valid and unused: a transfer, naming,
    scan or void in between fails it."""
    return table.check_op(
        keys.ticket(ticket.id),
        "version = :version AND holder_id = :holder AND #status = :valid"
        " AND (attribute_not_exists(scans) OR scans = :none)",
        values={
            ":version": ticket.version,
            ":holder": ticket.holder_id,
            ":valid": TicketStatus.VALID.value,
            ":none": 0,
        },
        names={"#status": "status"},
    )
