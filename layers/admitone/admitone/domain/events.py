"""Domain events: the ``data`` of every event type on the bus, schema_version 1.

One model per event type, each documented field by field in events/README.md (a
contract test holds the two together). The outbox refuses to write data that does not
fit its type's model, so a consumer can rely on what it reads. A consumer must ignore
fields it does not know: later minor versions only add optional fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from admitone.domain.tickets import Ticket

SCHEMA_VERSION = 1


class EventData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class EventCancelled(EventData):
    event_id: str
    venue_id: str
    reason: str
    cancelled_by: str
    previous_status: str


class OrderPaid(EventData):
    order_id: str
    order_number: str
    event_id: str
    buyer_id: str
    total: int
    currency: str
    ticket_ids: list[str]
    # The priority of its tickets' mints (``urgent``, ``high``, ``standard``: RULES §17, by
    # the time left before the event when it was paid); None for an event without NFTs.
    # The bus routes urgent mints to a queue of their own.
    mint_priority: str | None = None


class OrderEnded(EventData):
    """``order.expired`` and ``order.cancelled``: an unpaid order's seats went back."""

    order_id: str
    event_id: str
    reason: str


class OrderRefunded(EventData):
    order_id: str
    event_id: str
    amount: int
    currency: str
    refund_id: str
    reason: str


class RefundFailed(EventData):
    """Stripe could not pay a refund back: its amount is the order's again, refundable
    again (its tickets stay void, owed to the buyer)."""

    order_id: str
    event_id: str
    refund_id: str
    amount: int
    currency: str
    reason: str


class OrderChargedBack(EventData):
    """A dispute was lost: the bank took ``amount`` back; the tickets still valid were
    voided."""

    order_id: str
    event_id: str
    dispute_id: str
    amount: int
    currency: str
    void_ticket_ids: list[str]


class SecurityAlert(EventData):
    kind: Literal["payment_mismatch"]
    order_id: str
    payment_intent_id: str
    mismatched: list[str]
    paid_amount: int
    paid_currency: str
    order_total: int
    order_currency: str


class TicketIssued(EventData):
    ticket_id: str
    order_id: str
    event_id: str
    ticket_type_id: str
    holder_id: str


class TicketTransferred(EventData):
    ticket_id: str
    order_id: str
    event_id: str
    from_holder_id: str
    to_holder_id: str
    version: int
    # Set when a resale moved it (the escrow funded): the seller is told it sold instead.
    escrow_id: str | None = None

    @classmethod
    def of(
        cls, before: Ticket, after: Ticket, *, escrow_id: str | None = None
    ) -> TicketTransferred:
        """The move of ``before`` (its holder's version) to ``after`` (the new holder's)."""
        return cls(
            ticket_id=before.id,
            order_id=before.order_id,
            event_id=before.event_id,
            from_holder_id=before.holder_id,
            to_holder_id=after.holder_id,
            version=after.version,
            escrow_id=escrow_id,
        )


class EscrowCreated(EventData):
    """A resale buyer reserved a listing; unpaid after the cooling period, it is let go."""

    escrow_id: str
    listing_id: str
    event_id: str


class EscrowFunded(EventData):
    """A resale buyer's money is authorized and the ticket moved to them: the escrow is
    released once its cooling period has passed."""

    escrow_id: str
    listing_id: str
    event_id: str


class ListingSold(EventData):
    """A resale listing's buyer paid (its escrow funded) and the ticket moved to them."""

    listing_id: str
    escrow_id: str
    event_id: str
    seller_id: str
    price_cents: int
    currency: str


class ListingEnded(EventData):
    """A listing ended unsold by itself (``reason``: a ``resale.ListingEnd``): its seller
    is told why. A listing its seller withdrew announces nothing."""

    listing_id: str
    event_id: str
    seller_id: str
    reason: str


class TicketAttendeeNamed(EventData):
    ticket_id: str
    order_id: str
    event_id: str
    version: int


class TicketMinted(EventData):
    """A ticket's NFT exists on the chain, held by its holder's custodial address."""

    ticket_id: str
    order_id: str
    event_id: str
    chain: str
    contract: str
    token_id: str
    holder_address: str
    tx_hash: str


class TicketCheckedIn(EventData):
    ticket_id: str
    event_id: str
    ticket_type_id: str
    scan_id: str
    gate: str | None
    device_id: str
    scanned_at: str
    offline: bool


class AccountLoginThrottled(EventData):
    """An address with an account reached the login backoff: its owner is told."""

    user_id: str
    failures: int


class PayoutRequested(EventData):
    """A payout was recorded, its money out of the payee's balance: the transfer job
    makes its Stripe transfer (once, under the payout's id)."""

    payout_id: str
    payee_kind: str  # venue or seller
    payee_id: str


SCHEMAS: Mapping[str, type[EventData]] = {
    "event.cancelled": EventCancelled,
    "order.paid": OrderPaid,
    "order.expired": OrderEnded,
    "order.cancelled": OrderEnded,
    "order.refunded": OrderRefunded,
    "order.charged_back": OrderChargedBack,
    "refund.failed": RefundFailed,
    "security.alert": SecurityAlert,
    "ticket.issued": TicketIssued,
    "ticket.transferred": TicketTransferred,
    "escrow.created": EscrowCreated,
    "escrow.funded": EscrowFunded,
    "listing.sold": ListingSold,
    "listing.ended": ListingEnded,
    "ticket.attendee_named": TicketAttendeeNamed,
    "ticket.minted": TicketMinted,
    "ticket.checked_in": TicketCheckedIn,
    "account.login_throttled": AccountLoginThrottled,
    "payout.requested": PayoutRequested,
}
