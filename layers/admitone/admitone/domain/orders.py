"""Orders and their payments (RULES §4, §11): the two state machines, the hold's clock,
the per-buyer limits, and what a successful PaymentIntent must match.

Contract:
- An order moves only along ``ORDER_TRANSITIONS``; the repository writes every move as a
  conditional update on the state it read, so two writers never both win.
- A payment mirrors its PaymentIntent's status and only moves forward
  (``payment_moves_forward``): a ``processing`` that arrives after ``succeeded`` is
  recorded and ignored. A failed attempt sends the PaymentIntent back to
  ``requires_payment_method``, which the order survives: the buyer may retry until the
  hold expires.
- A hold is live strictly before ``hold_expires_at``; every read treats an expired hold
  as gone, whether or not the sweeper has released it yet.
- A buyer holds or owns at most ``per_user_limit`` tickets of one event, and may not
  start another order for it within ``PURCHASE_COOLDOWN`` of a paid one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from admitone.domain.errors import FieldError, LimitExceeded
from admitone.domain.inventory import Allocation


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ON_HOLD = "on_hold"
    # A dispute was lost: the card holder's bank took the money back; its tickets are
    # void and nothing more is refunded. Final.
    CHARGED_BACK = "charged_back"


ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.ON_HOLD}
    ),
    OrderStatus.PAID: frozenset(
        {
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
            OrderStatus.ON_HOLD,
            OrderStatus.CHARGED_BACK,
        }
    ),
    # Refunds move a paid order on; a refund Stripe reports failed moves it back by its
    # amount (domain/refunds.py). A refunded order whose refunds all stand is final.
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
            OrderStatus.PAID,
            OrderStatus.CHARGED_BACK,
        }
    ),
    OrderStatus.ON_HOLD: frozenset(
        {OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.CHARGED_BACK}
    ),
    # A payment that succeeds after the hold expired (RULES §4, late payment) ends the
    # expired order paid (seats re-taken), refunded (none left), or on hold (mismatch).
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.ON_HOLD}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.PAID, OrderStatus.REFUNDED}),
    OrderStatus.REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.PAID, OrderStatus.CHARGED_BACK}
    ),
    OrderStatus.CHARGED_BACK: frozenset(),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ORDER_TRANSITIONS[current]


class PaymentStatus(StrEnum):
    """Stripe's PaymentIntent statuses, mirrored."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


# Progress of a PaymentIntent. The first three are one step: a buyer may go from any of
# them to any other (a failed 3-D Secure attempt returns to requires_payment_method).
_PAYMENT_RANK = {
    PaymentStatus.REQUIRES_PAYMENT_METHOD: 0,
    PaymentStatus.REQUIRES_CONFIRMATION: 0,
    PaymentStatus.REQUIRES_ACTION: 0,
    PaymentStatus.PROCESSING: 1,
    PaymentStatus.REQUIRES_CAPTURE: 2,
    PaymentStatus.SUCCEEDED: 3,
    PaymentStatus.CANCELED: 3,
}


def payment_moves_forward(current: PaymentStatus, new: PaymentStatus) -> bool:
    """Whether a PaymentIntent reported ``new`` may replace the recorded ``current``.

    Final states never change; a processing payment may still fail (back to
    requires_payment_method), every other move must not go backwards.
    """
    if _PAYMENT_RANK[current] == _PAYMENT_RANK[PaymentStatus.SUCCEEDED]:
        return False
    if current is PaymentStatus.PROCESSING and new is PaymentStatus.REQUIRES_PAYMENT_METHOD:
        return True
    return _PAYMENT_RANK[new] >= _PAYMENT_RANK[current]


# ------------------------------------------------------------------- limits
PER_USER_EVENT_LIMIT = 4  # RULES §11: tickets of one event, paid or held, per buyer
PURCHASE_COOLDOWN = timedelta(minutes=10)
# (share of capacity sold, per-user limit from then on), strictest first.
HIGH_DEMAND_LIMITS = ((0.90, 2), (0.70, 3))


def per_user_limit(sold: int, capacity: int) -> int:
    """Tickets one buyer may have of an event once ``sold`` of ``capacity`` are gone."""
    for share, limit in HIGH_DEMAND_LIMITS:
        if capacity and sold > share * capacity:
            return limit
    return PER_USER_EVENT_LIMIT


@dataclass(frozen=True)
class BuyerStanding:
    """What one buyer already has of one event: tickets paid or held, last purchase."""

    tickets: int = 0
    cooldown_until: datetime | None = None


def check_buyer_limits(
    standing: BuyerStanding, quantity: int, *, limit: int, now: datetime
) -> None:
    """Refuse an order of ``quantity`` tickets the buyer's standing does not allow.

    The repository re-checks both in the order's transaction (``tickets <= limit - q``,
    ``cooldown_until <= now``): this read only makes the refusal precise.
    """
    if standing.cooldown_until is not None and now < standing.cooldown_until:
        raise LimitExceeded(
            "You bought tickets for this event moments ago; try again shortly.",
            errors=(FieldError("event_id", "purchase cooldown", "PURCHASE_COOLDOWN"),),
        )
    if standing.tickets + quantity > limit:
        left = max(0, limit - standing.tickets)
        raise LimitExceeded(
            f"At most {limit} tickets per buyer for this event; {left} left for you.",
            errors=(FieldError("items", f"at most {left} more", "PER_BUYER_LIMIT"),),
        )


# -------------------------------------------------------------------- holds
def hold_expiry(now: datetime, hold_minutes: int) -> datetime:
    """When a hold made at ``now`` ends (the event's ``hold_minutes`` is validated, 5-30)."""
    return now + timedelta(minutes=hold_minutes)


# -------------------------------------------------------------------- order
@dataclass(frozen=True)
class OrderTotals:
    currency: str
    subtotal: int
    discount: int
    platform_fee: int
    nft_fee: int
    taxes: tuple[Mapping[str, Any], ...]  # {name, rate_bps, amount}
    total: int


@dataclass(frozen=True)
class OrderLine:
    ticket_type_id: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    buyer_id: str
    event_id: str
    status: OrderStatus
    lines: tuple[OrderLine, ...]
    totals: OrderTotals
    allocation: Allocation
    hold_expires_at: datetime
    created_at: datetime
    attendee_email: str | None = None
    voucher_code: str | None = None
    payment_intent_id: str | None = None
    payment_status: PaymentStatus = PaymentStatus.REQUIRES_PAYMENT_METHOD
    hold_released: bool = False
    ticket_ids: tuple[str, ...] = ()
    status_reason: str | None = None
    paid_at: datetime | None = None
    version: int = 1
    amounts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Each priced unit's share of the totals, in the quote's order (pricing.TicketShare):
    # {ticket_type_id, price, discount, platform_fee, nft_fee, taxes: [cents per line]}.
    shares: tuple[Mapping[str, Any], ...] = ()
    # What live refunds take back, part by part (domain/refunds.py); empty = nothing.
    refunded: Mapping[str, Any] = field(default_factory=dict)
    # Seats of refunded tickets put back on sale, per ticket type: the next refund gives
    # back the units after these (inventory.LineHold.units).
    restocked: Mapping[str, int] = field(default_factory=dict)
    dispute_id: str | None = None

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def hold_live(self, now: datetime) -> bool:
        """Its seats are still held for it: pending, not released, not yet expired."""
        return (
            self.status is OrderStatus.PENDING_PAYMENT
            and not self.hold_released
            and now < self.hold_expires_at
        )

    def effective_status(self, now: datetime) -> OrderStatus:
        """The status a reader sees: a pending order past its hold is expired already."""
        if self.status is OrderStatus.PENDING_PAYMENT and now >= self.hold_expires_at:
            return OrderStatus.EXPIRED
        return self.status


class PaymentMismatch(StrEnum):
    AMOUNT = "amount"
    CURRENCY = "currency"
    ORDER = "metadata.order_id"


def payment_mismatches(
    order: Order, *, amount: int, currency: str, metadata_order_id: str | None
) -> tuple[PaymentMismatch, ...]:
    """What a succeeded PaymentIntent says that its order does not (RULES §4)."""
    found: list[PaymentMismatch] = []
    if amount != order.totals.total:
        found.append(PaymentMismatch.AMOUNT)
    if currency.lower() != order.totals.currency.lower():
        found.append(PaymentMismatch.CURRENCY)
    if metadata_order_id != order.id:
        found.append(PaymentMismatch.ORDER)
    return tuple(found)


class SuccessOutcome(StrEnum):
    """What a succeeded payment does to its order."""

    ISSUE = "issue"  # convert the live hold, issue tickets
    RETAKE = "retake"  # late: take the seats again if there are any, then issue
    ALREADY_DONE = "already_done"  # tickets exist or the order was settled otherwise
    REVIEW = "review"  # amount/currency/order mismatch: on hold, security alert


def on_payment_succeeded(order: Order, mismatches: tuple[PaymentMismatch, ...]) -> SuccessOutcome:
    if order.status in (
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
        OrderStatus.ON_HOLD,
        OrderStatus.CHARGED_BACK,
    ):
        return SuccessOutcome.ALREADY_DONE
    if mismatches:
        return SuccessOutcome.REVIEW
    if order.status is OrderStatus.PENDING_PAYMENT and not order.hold_released:
        # The hold's clock does not matter here: its seats are still held for it.
        return SuccessOutcome.ISSUE
    return SuccessOutcome.RETAKE


def ended_unpaid(order: Order, target: OrderStatus, *, reason: str) -> Order:
    """The order once its hold ended without a payment: ``target`` (expired or
    cancelled), its seats released, ``reason`` kept, one version on."""
    if target not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        raise ValueError(f"a hold ends expired or cancelled, not {target}")
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise ValueError(f"only an order awaiting payment ends unpaid, not a {order.status} one")
    return replace(
        order, status=target, hold_released=True, status_reason=reason, version=order.version + 1
    )
