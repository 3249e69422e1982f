"""What the API shows of domain objects: explicit response models, nothing leaked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from admitone.domain.accounts import NotificationPreferences, User
from admitone.domain.catalog import CapacityPool, Event, Venue, Voucher
from admitone.domain.nft import AwaitedMint, TicketMint
from admitone.domain.orders import Order
from admitone.domain.pricing import Quote
from admitone.domain.refunds import refunded_total
from admitone.domain.tickets import Ticket
from admitone.http.nft_views import NftView

# Named by two views' constructors only: the services (and the storage behind them) are
# loaded by the functions that call them, not by every function that shows an order.
if TYPE_CHECKING:
    from admitone.services.event_stats import EventStats
    from admitone.services.ticket_types import OfferedTicketType


class UserView(BaseModel):
    id: str
    email: str
    name: str
    phone: str | None
    roles: list[str]
    email_verified: bool
    preferences: NotificationPreferences
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            phone=user.phone,
            roles=[role.value for role in user.roles],
            email_verified=user.email_verified,
            preferences=user.preferences,
            created_at=user.created_at,
        )


class TokenPairView(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int


class AddressView(BaseModel):
    line1: str
    line2: str | None = None
    city: str
    state: str | None = None
    postal_code: str
    country: str


class RoyaltiesView(BaseModel):
    venue_bps: int
    artist_bps: int


class VenueView(BaseModel):
    id: str
    name: str
    address: AddressView
    timezone: str
    fee_tier: str | None
    royalties: RoyaltiesView  # resale royalty rates; an event may set its own
    created_at: datetime

    @classmethod
    def of(cls, venue: Venue) -> VenueView:
        return cls(
            id=venue.id,
            name=venue.name,
            address=AddressView.model_validate(asdict(venue.address)),
            timezone=venue.timezone,
            fee_tier=venue.fee_tier.value if venue.fee_tier else None,
            royalties=RoyaltiesView.model_validate(asdict(venue.royalties)),
            created_at=venue.created_at,
        )


class ResaleView(BaseModel):
    allowed: bool
    min_pct: int
    max_pct: int
    royalties: RoyaltiesView | None = None  # null: the venue's rates


class EventView(BaseModel):
    """The organizer's view of an event (the public one is in services/browse_events)."""

    id: str
    venue_id: str
    title: str
    description: str
    category: str
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str
    currency: str
    sales_start: datetime
    sales_end: datetime
    registration_deadline: datetime
    hold_minutes: int
    high_demand: bool
    nft_enabled: bool
    resale: ResaleView

    @classmethod
    def of(cls, event: Event) -> EventView:
        fields = asdict(event)
        fields.pop("owner_id")
        fields.pop("created_at")
        return cls.model_validate(fields)


class TicketTypeView(BaseModel):
    id: str
    event_id: str
    name: str
    price_cents: int
    currency: str
    capacity: int
    max_per_order: int
    max_scans: int
    sales_start: datetime | None
    sales_end: datetime | None
    hidden: bool
    shards: int
    pool_id: str | None
    # What buyers are shown: the price with every mandatory fee, before tax.
    all_in_price_cents: int

    @classmethod
    def of(cls, offered: OfferedTicketType) -> TicketTypeView:
        return cls.model_validate(
            asdict(offered.ticket_type) | {"all_in_price_cents": offered.all_in_price_cents}
        )


class CapacityPoolView(BaseModel):
    id: str
    event_id: str
    name: str
    capacity: int
    shards: int

    @classmethod
    def of(cls, pool: CapacityPool) -> CapacityPoolView:
        return cls.model_validate(asdict(pool))


class VoucherView(BaseModel):
    code: str
    kind: str
    value: int
    max_uses: int | None
    budget_cents: int | None
    valid_from: datetime | None
    valid_to: datetime | None
    ticket_type_ids: list[str]
    uses: int
    spent_cents: int

    @classmethod
    def of(cls, voucher: Voucher) -> VoucherView:
        fields = asdict(voucher)
        fields.pop("event_id")
        return cls.model_validate(fields)


class TaxView(BaseModel):
    name: str
    rate_bps: int
    amount_cents: int


class QuoteLineView(BaseModel):
    ticket_type_id: str
    unit_price_cents: int
    quantity: int


class QuoteView(BaseModel):
    """A price breakdown: what the buyer pays and why, every component in cents."""

    currency: str
    lines: list[QuoteLineView]
    subtotal_cents: int
    discount_cents: int
    voucher_code: str | None
    platform_fee_cents: int
    platform_fee_bps: int
    nft_fee_cents: int
    taxes: list[TaxView]
    total_cents: int

    @classmethod
    def of(cls, quote: Quote, voucher_code: str | None) -> QuoteView:
        lines: dict[str, QuoteLineView] = {}
        for ticket in quote.tickets:
            line = lines.setdefault(
                f"{ticket.line_index}",
                QuoteLineView(
                    ticket_type_id=ticket.ticket_type_id, unit_price_cents=ticket.price, quantity=0
                ),
            )
            line.quantity += 1
        return cls(
            currency=quote.currency.value,
            lines=list(lines.values()),
            subtotal_cents=quote.subtotal,
            discount_cents=quote.discount,
            voucher_code=voucher_code,
            platform_fee_cents=quote.platform_fee,
            platform_fee_bps=quote.platform_fee_bps,
            nft_fee_cents=quote.nft_fee,
            taxes=[
                TaxView(name=t.name, rate_bps=t.rate_bps, amount_cents=t.amount)
                for t in quote.taxes
            ],
            total_cents=quote.total,
        )


class OrderTotalsView(BaseModel):
    """The same names as a quote's: what the quote said is what the order charges."""

    currency: str
    subtotal_cents: int
    discount_cents: int
    platform_fee_cents: int
    nft_fee_cents: int
    taxes: list[TaxView]
    total_cents: int


class OrderLineView(BaseModel):
    ticket_type_id: str
    quantity: int
    unit_price_cents: int


class PaymentView(BaseModel):
    provider: str = "stripe"
    payment_intent_id: str | None
    status: str
    # Only in the answer to the buyer's POST /orders: Stripe.js needs it to pay.
    client_secret: str | None = None


class OrderTicketView(BaseModel):
    id: str
    code: str
    ticket_type_id: str
    status: str
    # The signed QR payload, for the ticket's holder only (it admits whoever shows it).
    qr_token: str | None = None
    # The ticket's NFT, where the order is read alone (GET /orders/{id}).
    nft: NftView | None = None


class RegistrationLinkView(BaseModel):
    """The purchaser's link to name attendees: ``/registrations/{token}``."""

    token: str
    deadline: datetime


class OrderView(BaseModel):
    """An order as its buyer (or the event's organizer) sees it; amounts in cents."""

    order_id: str
    order_number: str
    event_id: str
    status: str
    status_reason: str | None
    items: list[OrderLineView]
    totals: OrderTotalsView
    voucher_code: str | None
    payment: PaymentView
    hold_expires_at: datetime
    created_at: datetime
    paid_at: datetime | None
    # Taken back by refunds Stripe has not reported failed (RULES §9).
    refunded_cents: int
    disputed: bool
    tickets: list[OrderTicketView]
    # For the buyer of a paid order, until its event ends.
    registration: RegistrationLinkView | None = None

    @classmethod
    def of(
        cls,
        order: Order,
        *,
        now: datetime,
        tickets: Sequence[Ticket] = (),
        viewer_id: str | None = None,
        client_secret: str | None = None,
        registration: RegistrationLinkView | None = None,
        mints: Mapping[str, TicketMint | AwaitedMint] | None = None,
    ) -> OrderView:
        totals = order.totals
        return cls(
            order_id=order.id,
            order_number=order.number,
            event_id=order.event_id,
            status=order.effective_status(now).value,
            status_reason=order.status_reason,
            items=[
                OrderLineView(
                    ticket_type_id=line.ticket_type_id,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price,
                )
                for line in order.lines
            ],
            totals=OrderTotalsView(
                currency=totals.currency,
                subtotal_cents=totals.subtotal,
                discount_cents=totals.discount,
                platform_fee_cents=totals.platform_fee,
                nft_fee_cents=totals.nft_fee,
                taxes=[
                    TaxView(name=t["name"], rate_bps=t["rate_bps"], amount_cents=t["amount"])
                    for t in totals.taxes
                ],
                total_cents=totals.total,
            ),
            voucher_code=order.voucher_code,
            payment=PaymentView(
                payment_intent_id=order.payment_intent_id,
                status=order.payment_status.value,
                client_secret=client_secret,
            ),
            hold_expires_at=order.hold_expires_at,
            created_at=order.created_at,
            paid_at=order.paid_at,
            refunded_cents=refunded_total(order),
            disputed=order.dispute_id is not None,
            tickets=[
                OrderTicketView(
                    id=t.id,
                    code=t.code,
                    ticket_type_id=t.ticket_type_id,
                    status=t.status.value,
                    qr_token=t.token if viewer_id == t.holder_id else None,
                    nft=NftView.of((mints or {}).get(t.id)),
                )
                for t in tickets
            ],
            registration=registration,
        )


class OrderPageView(BaseModel):
    orders: list[OrderView]
    next_cursor: str | None


class TicketTypeStatsView(BaseModel):
    ticket_type_id: str
    name: str
    capacity: int
    sold: int
    held: int
    available: int
    gross_cents: int
    discount_cents: int
    fee_cents: int
    net_cents: int


class CancellationRefundsView(BaseModel):
    status: str
    orders_total: int
    orders_done: int
    refunded_cents: int


class EventStatsView(BaseModel):
    event_id: str
    status: str
    currency: str
    ticket_types: list[TicketTypeStatsView]
    # Refunding a cancelled event: null until it starts.
    cancellation_refunds: CancellationRefundsView | None

    @classmethod
    def of(cls, stats: EventStats) -> EventStatsView:
        progress = stats.cancellation_refunds
        return cls(
            event_id=stats.event_id,
            status=stats.status,
            currency=stats.currency,
            ticket_types=[
                TicketTypeStatsView(**asdict(row), net_cents=row.net_cents)
                for row in stats.ticket_types
            ],
            cancellation_refunds=None
            if progress is None
            else CancellationRefundsView(
                status=progress.status,
                orders_total=progress.orders_total,
                orders_done=progress.orders_done,
                refunded_cents=progress.amount_refunded,
            ),
        )


class VoucherListView(BaseModel):
    vouchers: list[VoucherView]
