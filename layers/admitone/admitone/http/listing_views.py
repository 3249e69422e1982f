"""What the API shows of resale listings: the public view never names the seller nor
the ticket (only its type and price); the seller's own view adds the ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from admitone.domain.resale import Escrow, Listing, ListingSale, all_in_price
from admitone.http.views import PaymentView
from admitone.services.listings import ListingPage

ListingStatusName = Literal["active", "reserved", "sold", "withdrawn", "ended"]
ListingEndName = Literal[
    "ticket_scanned",
    "ticket_refunded",
    "ticket_transferred",
    "ticket_voided",
    "event_cancelled",
    "event_started",
]
EscrowStatusName = Literal["created", "funded", "released", "cancelled", "refunded"]


class PublicListing(BaseModel):
    """A listing as anyone sees it. ``end_reason`` says why an ``ended`` listing ended."""

    listing_id: str
    event_id: str
    ticket_type_id: str
    ticket_type_name: str
    price_cents: int = Field(description="What the seller asks, in cents of ``currency``.")
    all_in_price_cents: int = Field(
        description="What a buyer pays before tax: the split comes out of the price."
    )
    face_value_cents: int = Field(description="The ticket type's price, in cents.")
    currency: str
    status: ListingStatusName
    end_reason: ListingEndName | None
    created_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, listing: Listing, names: dict[str, str]) -> PublicListing:
        return cls(**_public_fields(listing, names))


class ListingSaleView(BaseModel):
    """What a sold listing brought: the buyer's payment and the seller's share of it."""

    status: EscrowStatusName = Field(
        description="funded: paid and the ticket moved, captured after the cooling period; "
        "released: the split is booked, the proceeds pending until 48 h after the event "
        "ends, then payable (GET /me/proceeds); refunded: the event was cancelled, the "
        "sale reversed."
    )
    amount_cents: int = Field(description="What the buyer paid, in cents of the currency.")
    proceeds_cents: int = Field(
        description="The seller's share: the price less royalties and the platform's share."
    )
    sold_at: datetime | None
    released_at: datetime | None

    @classmethod
    def of(cls, sale: ListingSale) -> ListingSaleView:
        return cls(
            status=sale.escrow_status.value,
            amount_cents=sale.amount_cents,
            proceeds_cents=sale.proceeds_cents,
            sold_at=sale.sold_at,
            released_at=sale.released_at,
        )


class SellerListing(PublicListing):
    """A listing as its seller sees it: which of their tickets it offers, and once sold
    what the sale brings them."""

    ticket_id: str
    sale: ListingSaleView | None = None

    @classmethod
    def of(
        cls, listing: Listing, names: dict[str, str], sale: ListingSale | None = None
    ) -> SellerListing:
        return cls(
            **_public_fields(listing, names),
            ticket_id=listing.ticket_id,
            sale=ListingSaleView.of(sale) if sale else None,
        )


def _public_fields(listing: Listing, names: dict[str, str]) -> dict[str, object]:
    return {
        "listing_id": listing.id,
        "event_id": listing.event_id,
        "ticket_type_id": listing.ticket_type_id,
        "ticket_type_name": names.get(listing.ticket_type_id, ""),
        "price_cents": listing.price_cents,
        "all_in_price_cents": all_in_price(listing),
        "face_value_cents": listing.face_value_cents,
        "currency": listing.currency,
        "status": listing.status.value,
        "end_reason": listing.end_reason.value if listing.end_reason else None,
        "created_at": listing.created_at,
        "ended_at": listing.ended_at,
    }


class PublicListingPage(BaseModel):
    listings: list[PublicListing]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ListingPage) -> PublicListingPage:
        return cls(
            listings=[PublicListing.of(one, page.ticket_type_names) for one in page.listings],
            next_cursor=page.next_cursor,
        )


class SellerListingPage(BaseModel):
    listings: list[SellerListing]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ListingPage) -> SellerListingPage:
        return cls(
            listings=[
                SellerListing.of(one, page.ticket_type_names, page.sales.get(one.id))
                for one in page.listings
            ],
            next_cursor=page.next_cursor,
        )


class PurchaseView(BaseModel):
    """A buyer's purchase of a listing: its escrow, and what Stripe.js needs to pay it.
    The amount is authorized, not charged, until the escrow is released."""

    escrow_id: str
    listing_id: str
    event_id: str
    status: EscrowStatusName
    amount_cents: int = Field(description="The listing's price, in cents of ``currency``.")
    currency: str
    payment: PaymentView
    created_at: datetime

    @classmethod
    def of(cls, escrow: Escrow, *, client_secret: str | None) -> PurchaseView:
        return cls(
            escrow_id=escrow.id,
            listing_id=escrow.listing_id,
            event_id=escrow.event_id,
            status=escrow.status.value,
            amount_cents=escrow.amount_cents,
            currency=escrow.currency,
            payment=PaymentView(
                payment_intent_id=escrow.payment_intent_id,
                status="requires_payment_method",
                client_secret=client_secret,
            ),
            created_at=escrow.created_at,
        )
