"""Resale (RULES §13, §18): what a listing may ask, how its price is split, how its escrow
moves, when a listing ends by itself, and the seller's 1099-DA lines.

Contract:
- A listing's price lies within the event's policy of its face value, bounds inclusive
  and exact (``price * 100`` against ``face * pct``: no rounding decides a bound). A
  charity event caps it at face value whatever its policy says.
- The price is split by largest remainder over basis points (``money.allocate``): venue
  royalty, artist royalty, platform share and the seller's rest always sum to the price,
  each within a cent of its exact share (15000 at 10 % / 0 % / 5 % -> 1500 / 0 / 750 /
  12750). The royalty rates are the event's if it sets them, else its venue's
  (``royalties_for``), fixed on the escrow when the buyer buys: the release and any
  reversal split by the rates of the sale, whatever the venue sets later.
- Escrow: ``created`` (a PaymentIntent with manual capture) -> ``funded`` (the amount
  is capturable; the ticket moves to the buyer) -> ``released`` (captured after the
  cooling period). Before release it may only be ``cancelled``, the uncaptured payment
  let go, so a buyer is never charged for a ticket they did not get; a released escrow
  is ``refunded`` only when its event is cancelled.
- The seller's proceeds become payable 48 h after the event ends, as a venue's do, so a
  cancellation can still reverse the whole resale.
- 1099-DA data: a seller with at least $600 of gross proceeds in a calendar year gets
  one line per sale (proceeds, cost basis, gain, dates acquired and disposed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from admitone.domain.catalog import (
    DEFAULT_ARTIST_ROYALTY_BPS,
    DEFAULT_VENUE_ROYALTY_BPS,
    Event,
    EventStatus,
    ResalePolicy,
    Venue,
)
from admitone.domain.errors import (
    FieldError,
    Forbidden,
    InvalidTransition,
    LimitExceeded,
    ValidationFailed,
)
from admitone.domain.money import BPS_PER_WHOLE, allocate, format_money
from admitone.domain.orders import BuyerStanding
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.domain.tokens import MAX_TICKET_VERSION

VENUE_ROYALTY_BPS = DEFAULT_VENUE_ROYALTY_BPS
ARTIST_ROYALTY_BPS = DEFAULT_ARTIST_ROYALTY_BPS
PLATFORM_SHARE_BPS = 500
CHARITY_MAX_PCT = 100
COOLING_PERIOD = timedelta(minutes=10)
SELLER_SETTLEMENT_DELAY = timedelta(hours=48)
TAX_FORM_THRESHOLD_CENTS = 60_000
FIRST_TAX_FORM_YEAR = 2025


# ------------------------------------------------------------------ prices
@dataclass(frozen=True)
class PriceRange:
    """The least and the most a listing of one ticket may ask, in cents, inclusive."""

    low: int
    high: int


def price_range(face_value_cents: int, policy: ResalePolicy, *, charity: bool) -> PriceRange:
    """The whole cents within the policy's percentages of face value."""
    high_pct = min(policy.max_pct, CHARITY_MAX_PCT) if charity else policy.max_pct
    low_pct = min(policy.min_pct, high_pct)
    # ceil for the floor and floor for the ceiling: only prices inside the exact bounds.
    return PriceRange(
        low=-(-face_value_cents * low_pct // 100), high=face_value_cents * high_pct // 100
    )


def check_listing_price(
    price_cents: int, face_value_cents: int, policy: ResalePolicy, *, charity: bool
) -> None:
    """Refuse a price outside the event's resale policy (422 naming ``price_cents``)."""
    if not policy.allowed:
        raise ResaleNotAllowed("This event does not allow resale.")
    bounds = price_range(face_value_cents, policy, charity=charity)
    if not bounds.low <= price_cents <= bounds.high:
        raise ValidationFailed(
            "The price is outside the event's resale policy.",
            errors=(
                FieldError(
                    "price_cents",
                    f"must be {format_money(bounds.low)} to {format_money(bounds.high)}",
                    "RESALE_PRICE_OUT_OF_RANGE",
                ),
            ),
        )


class ResaleNotAllowed(InvalidTransition):
    """The event's organizer turned resale off."""

    code = "RESALE_NOT_ALLOWED"


# ------------------------------------------------------------------- split
@dataclass(frozen=True)
class Royalties:
    """Who takes what share of a resale, in basis points of its price."""

    venue_bps: int = VENUE_ROYALTY_BPS
    artist_bps: int = ARTIST_ROYALTY_BPS
    platform_bps: int = PLATFORM_SHARE_BPS

    def __post_init__(self) -> None:
        shares = (self.venue_bps, self.artist_bps, self.platform_bps)
        if min(shares) < 0 or sum(shares) > BPS_PER_WHOLE:
            raise ValueError(f"royalties must be 0..10000 bps in all: {shares}")


@dataclass(frozen=True)
class ResaleSplit:
    venue_royalty: int
    artist_royalty: int
    platform_share: int
    seller_proceeds: int

    @property
    def total(self) -> int:
        return self.venue_royalty + self.artist_royalty + self.platform_share + self.seller_proceeds


def royalties_for(venue: Venue, event: Event) -> Royalties:
    """The shares a resale of ``event``'s ticket pays: the event's royalty rates if it
    sets them, else its venue's, and the platform's share."""
    rates = event.resale.royalties or venue.royalties
    return Royalties(venue_bps=rates.venue_bps, artist_bps=rates.artist_bps)


def split_resale(price_cents: int, royalties: Royalties) -> ResaleSplit:
    seller_bps = BPS_PER_WHOLE - royalties.venue_bps - royalties.artist_bps
    seller_bps -= royalties.platform_bps
    weights = (royalties.venue_bps, royalties.artist_bps, royalties.platform_bps, seller_bps)
    venue, artist, platform, seller = allocate(price_cents, weights)
    return ResaleSplit(venue, artist, platform, seller)


def seller_payable_at(event_ends_at: datetime) -> datetime:
    """When the seller's proceeds stop being pending (RULES §13, as venue proceeds)."""
    return event_ends_at + SELLER_SETTLEMENT_DELAY


# ------------------------------------------------------------------ escrow
class EscrowStatus(StrEnum):
    CREATED = "created"  # PaymentIntent with manual capture, not yet authorised
    FUNDED = "funded"  # the amount is capturable; the ticket went to the buyer
    RELEASED = "released"  # captured after the cooling period; the split is booked
    CANCELLED = "cancelled"  # the uncaptured PaymentIntent was let go: nothing charged
    REFUNDED = "refunded"  # released, then its event was cancelled


_ESCROW_MOVES: dict[EscrowStatus, frozenset[EscrowStatus]] = {
    EscrowStatus.CREATED: frozenset({EscrowStatus.FUNDED, EscrowStatus.CANCELLED}),
    EscrowStatus.FUNDED: frozenset({EscrowStatus.RELEASED, EscrowStatus.CANCELLED}),
    EscrowStatus.RELEASED: frozenset({EscrowStatus.REFUNDED}),
    EscrowStatus.CANCELLED: frozenset(),
    EscrowStatus.REFUNDED: frozenset(),
}


def check_escrow_move(current: EscrowStatus, target: EscrowStatus) -> None:
    if target not in _ESCROW_MOVES[current]:
        raise InvalidTransition(f"An escrow that is {current.value} cannot become {target.value}.")


def releasable_at(funded_at: datetime, cooling: timedelta = COOLING_PERIOD) -> datetime:
    return funded_at + cooling


@dataclass(frozen=True)
class Escrow:
    """A buyer's purchase of a listing: the money held by a manual-capture PaymentIntent
    until it is released to the split, or let go.

    ``ticket_version`` is the version the listing offered: the ticket moves only if it
    is still that version when the escrow is funded."""

    id: str
    listing_id: str
    event_id: str
    ticket_id: str
    ticket_version: int
    seller_id: str
    buyer_id: str
    buyer_email: str  # the attendee address of the ticket the buyer receives
    amount_cents: int
    currency: str
    payment_intent_id: str
    created_at: datetime
    status: EscrowStatus = EscrowStatus.CREATED
    funded_at: datetime | None = None
    released_at: datetime | None = None
    cancelled_at: datetime | None = None
    # The shares of the sale, fixed when the buyer bought (``royalties_for``).
    royalties: Royalties = field(default_factory=Royalties)
    # Whether the purchase took one ticket of the buyer's per-event allowance (RULES §11),
    # given back if the escrow is cancelled; escrows opened before resale counted: no.
    counted: bool = False


@dataclass(frozen=True)
class ListingSale:
    """What a sold listing's buyer paid and its seller gets: ``proceeds_cents`` is the
    seller's share of the escrow's amount, booked at release (pending until 48 h after
    the event ends, then payable) and taken back if the escrow is refunded."""

    escrow_status: EscrowStatus
    amount_cents: int
    proceeds_cents: int
    sold_at: datetime | None  # funded: the ticket moved to the buyer
    released_at: datetime | None


def listing_sale(escrow: Escrow) -> ListingSale:
    return ListingSale(
        escrow_status=escrow.status,
        amount_cents=escrow.amount_cents,
        proceeds_cents=split_resale(escrow.amount_cents, escrow.royalties).seller_proceeds,
        sold_at=escrow.funded_at,
        released_at=escrow.released_at,
    )


class EscrowMoved(InvalidTransition):
    """Another writer moved the escrow first (a duplicate webhook, the release job)."""

    code = "ESCROW_MOVED"


def escrow_moved(escrow: Escrow, target: EscrowStatus, *, now: datetime) -> Escrow:
    """The escrow moved to ``target`` at ``now`` (only along ``_ESCROW_MOVES``)."""
    check_escrow_move(escrow.status, target)
    moved = replace(escrow, status=target)
    if target is EscrowStatus.FUNDED:
        return replace(moved, funded_at=now)
    if target is EscrowStatus.RELEASED:
        return replace(moved, released_at=now)
    if target is EscrowStatus.CANCELLED:
        return replace(moved, cancelled_at=now)
    return moved


def why_not_transferable(
    ticket: Ticket, escrow: Escrow, event: Event, *, now: datetime
) -> ListingEnd | None:
    """Why the funded escrow's ticket cannot move to its buyer (None: it can). It moves
    only as the listing offered it (the same version and holder), valid and unused, while
    the event is neither cancelled nor over."""
    if ticket.status is not TicketStatus.VALID:
        return ListingEnd.TICKET_VOIDED
    if ticket.scans:
        return ListingEnd.TICKET_SCANNED
    moved_on = (ticket.version, ticket.holder_id) != (escrow.ticket_version, escrow.seller_id)
    # A ticket at the last version has none left to be reissued under.
    if moved_on or ticket.version >= MAX_TICKET_VERSION:
        return ListingEnd.TICKET_TRANSFERRED
    if event.status is EventStatus.CANCELLED:
        return ListingEnd.EVENT_CANCELLED
    if now >= event.ends_at:
        return ListingEnd.EVENT_STARTED
    return None


# ---------------------------------------------------------------- listings
class ListingStatus(StrEnum):
    ACTIVE = "active"
    RESERVED = "reserved"  # a buyer's escrow is open on it; nobody else may buy
    SOLD = "sold"
    WITHDRAWN = "withdrawn"  # by its seller
    ENDED = "ended"  # by what happened to its ticket or event (``ListingEnd``)


class ListingEnd(StrEnum):
    """Why a listing ended by itself."""

    TICKET_SCANNED = "ticket_scanned"
    TICKET_REFUNDED = "ticket_refunded"
    TICKET_TRANSFERRED = "ticket_transferred"
    TICKET_VOIDED = "ticket_voided"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_STARTED = "event_started"


class ListingUnavailable(InvalidTransition):
    """The listing was sold, withdrawn or ended, or another buyer's escrow holds it."""

    code = "LISTING_UNAVAILABLE"


class OwnListing(Forbidden):
    """A seller may not buy their own listing."""

    code = "OWN_LISTING"


class TicketNotListable(InvalidTransition):
    """The ticket is void, used, or its event has started: it cannot be listed."""

    code = "TICKET_NOT_LISTABLE"


class TicketAlreadyListed(InvalidTransition):
    """The ticket has an active listing already: one ticket, one listing."""

    code = "TICKET_ALREADY_LISTED"


@dataclass(frozen=True)
class Listing:
    """A ticket offered for resale by its holder at ``price_cents``.

    ``ticket_version`` is the version the seller listed: a ticket that moved on since
    (transferred, named, voided) is not what the listing offered."""

    id: str
    event_id: str
    ticket_id: str
    ticket_version: int
    ticket_type_id: str
    seller_id: str
    price_cents: int
    face_value_cents: int
    currency: str
    created_at: datetime
    status: ListingStatus = ListingStatus.ACTIVE
    end_reason: ListingEnd | None = None
    ended_at: datetime | None = None
    escrow_id: str | None = None  # while reserved, and once sold: the buyer's escrow


def all_in_price(listing: Listing) -> int:
    """What a buyer of the listing pays before tax: its price. Royalties and the
    platform's share come out of the price (the split), no fee is added to it."""
    return listing.price_cents


def check_listable(ticket: Ticket, event: Event, *, now: datetime) -> None:
    """A valid, unused ticket of an event that is neither cancelled nor started may be
    listed."""
    if ticket.status is not TicketStatus.VALID:
        raise TicketNotListable("The ticket is void.")
    if ticket.scans:
        raise TicketNotListable("The ticket has already been used at the gate.")
    if event.status is EventStatus.CANCELLED:
        raise TicketNotListable("The event is cancelled.")
    if now >= event.starts_at:
        raise TicketNotListable("The event has started.")


def withdrawn(listing: Listing, *, now: datetime) -> Listing:
    """The seller took the listing off the market (only an active one)."""
    if listing.status is not ListingStatus.ACTIVE:
        raise ListingUnavailable("This listing is no longer for sale.")
    return replace(listing, status=ListingStatus.WITHDRAWN, ended_at=now)


def ended(listing: Listing, reason: ListingEnd, *, now: datetime) -> Listing:
    """The listing ended by itself for ``reason`` (only an active one)."""
    if listing.status is not ListingStatus.ACTIVE:
        raise ListingUnavailable("This listing is no longer for sale.")
    return replace(listing, status=ListingStatus.ENDED, end_reason=reason, ended_at=now)


def as_of(listing: Listing, *, event_starts_at: datetime, now: datetime) -> Listing:
    """The listing as it stands at ``now``: an active listing of an event that has
    started is ended (``event_started``) from the start on, derived here rather than
    written by a sweep, so no reader ever sees it for sale after the doors open."""
    if listing.status is ListingStatus.ACTIVE and now >= event_starts_at:
        return replace(
            listing,
            status=ListingStatus.ENDED,
            end_reason=ListingEnd.EVENT_STARTED,
            ended_at=event_starts_at,
        )
    return listing


def check_purchasable(status: ListingStatus, *, seller_id: str, buyer_id: str) -> None:
    if seller_id == buyer_id:
        raise OwnListing("You cannot buy your own listing.")
    if status is not ListingStatus.ACTIVE:
        raise ListingUnavailable("This listing is no longer for sale.")


def check_resale_allowance(standing: BuyerStanding, *, limit: int, now: datetime) -> None:
    """Refuse a resale purchase the buyer's standing for the event does not allow: the
    same per-buyer limit and cooldown as orders (RULES §11), one ticket a purchase
    (422 ``PURCHASE_LIMIT_EXCEEDED`` naming the listing)."""
    if standing.cooldown_until is not None and now < standing.cooldown_until:
        raise LimitExceeded(
            "You bought tickets for this event moments ago; try again shortly.",
            errors=(FieldError("listing_id", "purchase cooldown", "PURCHASE_COOLDOWN"),),
        )
    if standing.tickets + 1 > limit:
        raise LimitExceeded(
            f"At most {limit} tickets per buyer for this event, resales included.",
            errors=(FieldError("listing_id", f"at most {limit} per buyer", "PER_BUYER_LIMIT"),),
        )


def purchase_amount(listing: Listing, event: Event, *, now: datetime) -> int:
    """What the buyer of ``listing`` is charged, in cents: its price, only while the event
    still takes resales (not cancelled, not started, resale allowed) and the price is still
    within the event's policy of the face value (the cap, RULES §13) as it stands now."""
    if event.status is EventStatus.CANCELLED or now >= event.starts_at:
        raise ListingUnavailable("This listing is no longer for sale.")
    if not event.resale.allowed:
        raise ResaleNotAllowed("This event does not allow resale.")
    bounds = price_range(listing.face_value_cents, event.resale, charity=False)
    if not bounds.low <= listing.price_cents <= bounds.high:
        raise ListingUnavailable("This listing's price is outside the event's resale policy.")
    return all_in_price(listing)


def reserved(listing: Listing, escrow_id: str) -> Listing:
    """The listing held for one buyer's escrow: nobody else may buy it meanwhile."""
    if listing.status is not ListingStatus.ACTIVE:
        raise ListingUnavailable("This listing is no longer for sale.")
    return replace(listing, status=ListingStatus.RESERVED, escrow_id=escrow_id)


def sold(listing: Listing, *, now: datetime) -> Listing:
    """The reserved listing's escrow was funded: its ticket went to the buyer."""
    _check_reserved(listing)
    return replace(listing, status=ListingStatus.SOLD, ended_at=now)


def reopened(listing: Listing) -> Listing:
    """The reserved listing's escrow was let go (the payment failed or was cancelled):
    the listing is for sale again."""
    _check_reserved(listing)
    return replace(listing, status=ListingStatus.ACTIVE, escrow_id=None)


def ended_reserved(listing: Listing, reason: ListingEnd, *, now: datetime) -> Listing:
    """The reserved listing's ticket can no longer move to the buyer (``reason``)."""
    _check_reserved(listing)
    return replace(listing, status=ListingStatus.ENDED, end_reason=reason, ended_at=now)


def sale_stopped(listing: Listing, reason: ListingEnd, *, now: datetime) -> Listing:
    """The sold listing's escrow was cancelled before release (``reason``: its event
    cancelled, its ticket voided): nothing was charged, so it ends as unsold."""
    if listing.status is not ListingStatus.SOLD:
        raise InvalidTransition(f"A listing that is {listing.status.value} is not sold.")
    return replace(listing, status=ListingStatus.ENDED, end_reason=reason, ended_at=now)


def _check_reserved(listing: Listing) -> None:
    if listing.status is not ListingStatus.RESERVED:
        raise InvalidTransition(f"A listing that is {listing.status.value} is not reserved.")


# --------------------------------------------------------------- tax forms
@dataclass(frozen=True)
class ResaleSale:
    """One ticket a seller resold, as a 1099-DA line states it."""

    listing_id: str
    proceeds_cents: int  # what the seller got: the price less royalties and platform share
    cost_basis_cents: int  # what the seller paid for the ticket
    acquired_at: datetime
    disposed_at: datetime

    @property
    def gain_cents(self) -> int:
        return self.proceeds_cents - self.cost_basis_cents


@dataclass(frozen=True)
class TaxForm:
    year: int
    gross_proceeds_cents: int
    sales: tuple[ResaleSale, ...]


def tax_form(year: int, sales: Iterable[ResaleSale]) -> TaxForm | None:
    """The seller's 1099-DA data for ``year`` (sales disposed of in it), or None below
    the $600 threshold or before the first year the form exists."""
    if year < FIRST_TAX_FORM_YEAR:
        return None
    in_year = tuple(
        sorted(
            (sale for sale in sales if sale.disposed_at.year == year),
            key=lambda sale: (sale.disposed_at, sale.listing_id),
        )
    )
    gross = sum(sale.proceeds_cents for sale in in_year)
    if gross < TAX_FORM_THRESHOLD_CENTS:
        return None
    return TaxForm(year=year, gross_proceeds_cents=gross, sales=in_year)


def mask_tin(tin: str) -> str:
    """A taxpayer id as every response shows it: the last four digits only."""
    digits = "".join(ch for ch in tin if ch.isdigit())
    return f"***-**-{digits[-4:]}" if len(digits) >= 4 else "***-**-****"
