"""Refunds (RULES §9): who may refund what, how much of each part of an order a refund
takes back, and what the order becomes.

Contract:
- An order's refunds never take back more of any part (price, platform fee, NFT fee,
  each tax) than was paid for it, so their total never exceeds what was paid: asking
  for more is ``RefundExceedsRemaining``. A refund counts from the moment it is asked
  of Stripe until Stripe reports it failed, which gives its amount back.
- A buyer refunds by ticket, tickets they still hold, within 30 days of paying and
  before the event starts; a ticket refund is its price less discount plus its tax,
  fees kept, less its pro-rata part of what amount refunds already took of each (the
  last ticket gets exactly what is left). Organizers and admins refund any amount
  (split over the parts in proportion to what is left of each) or, by default,
  everything left; cancelling the event refunds everything left, fees included.
- A ticket admitted at a gate (scanned at least once) is used: its buyer cannot refund
  it (``RefundNotAllowed``, ``TICKET_USED``; a buyer's refund of everything leaves it
  out). An organizer or admin may refund its money, but its seat never goes back on sale.
- Refunded tickets are void at once; so is every ticket of an order refunded in full.
  Their seats go back on sale while the event is ahead and not cancelled, unless used.
- A ticket voided by a refund that failed, and taken back by no standing refund, is
  owed: its seat is gone but its money is still with the order. It is refundable again,
  by its buyer (while they hold it, within the policy) as by the organizer, and is never
  voided nor put back on sale a second time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from admitone.domain.errors import Conflict, FieldError, Forbidden, ValidationFailed
from admitone.domain.inventory import Amounts
from admitone.domain.ledger import Components, OrderParty, venue_fee, zero_components
from admitone.domain.money import allocate, format_money
from admitone.domain.orders import Order, OrderStatus
from admitone.domain.tickets import Ticket, TicketStatus

BUYER_REFUND_WINDOW = timedelta(days=30)
TICKET_USED = "TICKET_USED"  # a field's reason under RefundNotAllowed


class RefundReason(StrEnum):
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    EVENT_CANCELLED = "event_cancelled"


class RefundStatus(StrEnum):
    PENDING = "pending"  # asked of Stripe (or about to be)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Requester(StrEnum):
    BUYER = "buyer"
    ORGANIZER = "organizer"  # of the order's event, or an admin
    SYSTEM = "system"  # the event-cancellation job


class RefundNotAllowed(Forbidden):
    code = "REFUND_NOT_ALLOWED"
    title = "The refund is not allowed"


class RefundExceedsRemaining(ValidationFailed):
    code = "REFUND_EXCEEDS_REMAINING"
    title = "The refund is more than is left to refund"


class OrderNotRefundable(Conflict):
    code = "ORDER_NOT_REFUNDABLE"
    title = "The order cannot be refunded"


REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


# ---------------------------------------------------------------- amounts
def order_party(order: Order, venue_id: str) -> OrderParty:
    return OrderParty(
        order_id=order.id,
        venue_id=venue_id,
        event_id=order.event_id,
        currency=order.totals.currency,
        tax_names=tuple(str(line["name"]) for line in order.totals.taxes),
    )


def paid_components(order: Order) -> Components:
    totals = order.totals
    return Components(
        price=totals.subtotal - totals.discount,
        platform_fee=totals.platform_fee,
        nft_fee=totals.nft_fee,
        taxes=tuple(int(line["amount"]) for line in totals.taxes),
    )


def refunded_components(order: Order) -> Components:
    """What the order's live (not failed) refunds take back, part by part."""
    if not order.refunded:
        return zero_components(len(order.totals.taxes))
    return Components.of_list([int(part) for part in order.refunded["parts"]])


def refunded_total(order: Order) -> int:
    return refunded_components(order).total


def stored_parts(components: Components) -> dict[str, Any]:
    """How an order keeps what has been refunded of it."""
    return {"parts": components.as_list(), "total": components.total}


def ticket_components(share: Mapping[str, Any]) -> Components:
    """One ticket's refund: its price less its discount, plus its tax; fees kept."""
    return Components(
        price=int(share["price"]) - int(share["discount"]),
        platform_fee=0,
        nft_fee=0,
        taxes=tuple(int(amount) for amount in share["taxes"]),
    )


def status_for(paid: Components, refunded: Components) -> OrderStatus:
    if refunded.total == 0:
        return OrderStatus.PAID
    if refunded.total == paid.total:
        return OrderStatus.REFUNDED
    return OrderStatus.PARTIALLY_REFUNDED


def fee_returned(order: Order, before: Components, after: Components) -> int:
    """The venue's share of the platform fee that moving from ``before`` to ``after``
    refunded gives back (negative when a failed refund takes it again)."""
    paid = paid_components(order)

    def returned(refunded: Components) -> int:
        return venue_fee(
            price_paid=paid.price, platform_fee=paid.platform_fee, price_refunded=refunded.price
        )

    return returned(after) - returned(before)


# ------------------------------------------------------------------- plan
@dataclass(frozen=True)
class RefundAsk:
    amount: int | None = None
    ticket_ids: tuple[str, ...] | None = None
    reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER


@dataclass(frozen=True)
class Restock:
    """Seats of one ticket type going back on sale, and what they had been sold for."""

    units: int
    amounts: Amounts


@dataclass(frozen=True)
class RefundPlan:
    amounts: Components
    refunded_after: Components
    status_after: OrderStatus
    fee_returned: int
    # The tickets whose money the refund takes back (the refund record keeps them, so a
    # later refund counts them refunded while it stands) ...
    ticket_ids: tuple[str, ...]
    # ... and those of them valid until now, voided by it (an owed ticket already is).
    void_ticket_ids: tuple[str, ...]
    reason: RefundReason
    # By ticket type: the voided tickets' seats, back on sale while the event is ahead
    # and not cancelled; never a used ticket's, whose holder was let in on it.
    restock: Mapping[str, Restock] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return self.amounts.total


def _exceeds(detail: str, field: str = "amount_cents") -> RefundExceedsRemaining:
    return RefundExceedsRemaining(
        detail,
        errors=(FieldError(field, "more than is left to refund", RefundExceedsRemaining.code),),
    )


def _not_allowed(detail: str, reason: str, field: str = "ticket_ids") -> RefundNotAllowed:
    return RefundNotAllowed(detail, errors=(FieldError(field, reason, RefundNotAllowed.code),))


def _used(detail: str, *fields: str) -> RefundNotAllowed:
    return RefundNotAllowed(
        detail,
        errors=tuple(FieldError(field, "admitted at the gate", TICKET_USED) for field in fields),
    )


def _check_buyer_policy(
    order: Order, ask: RefundAsk, *, event_starts_at: datetime, now: datetime
) -> None:
    if ask.amount is not None:
        raise _not_allowed(
            "Buyers refund by ticket; leave out amount_cents.",
            "buyers refund by ticket",
            "amount_cents",
        )
    if ask.reason is RefundReason.EVENT_CANCELLED:
        raise _not_allowed("Only the organizer cancels an event.", "not a buyer's reason", "reason")
    paid_at = order.paid_at or order.created_at
    if now - paid_at > BUYER_REFUND_WINDOW:
        raise _not_allowed(
            f"Refunds are possible within {BUYER_REFUND_WINDOW.days} days of purchase; this order "
            f"was paid on {paid_at.date().isoformat()}.",
            "refund window closed",
        )
    if now >= event_starts_at:
        raise _not_allowed(
            "The event has started: tickets can no longer be refunded.", "event started"
        )


def _tickets_to_refund(
    order: Order,
    ask: RefundAsk,
    tickets: Mapping[str, Ticket],
    owed: Collection[str],
    *,
    buyer: bool,
) -> tuple[str, ...]:
    live = [
        ticket_id
        for ticket_id in order.ticket_ids
        if ticket_id in tickets
        and _refundable(tickets[ticket_id], owed)
        and (not buyer or tickets[ticket_id].holder_id == order.buyer_id)
    ]
    if ask.ticket_ids is None:  # a buyer's refund of everything they may refund
        unused = tuple(ticket_id for ticket_id in live if not tickets[ticket_id].used)
        if live and not unused:
            raise _used("Every ticket left on this order has been used at the gate.", "ticket_ids")
        return unused
    errors: list[FieldError] = []
    used: list[str] = []
    for index, ticket_id in enumerate(ask.ticket_ids):
        field = f"ticket_ids[{index}]"
        if ticket_id not in order.ticket_ids:
            errors.append(FieldError(field, "not a ticket of this order", "TICKET_NOT_IN_ORDER"))
        elif not _refundable(tickets[ticket_id], owed):
            errors.append(FieldError(field, "already refunded or void", "TICKET_NOT_REFUNDABLE"))
        elif buyer and tickets[ticket_id].holder_id != order.buyer_id:
            raise _not_allowed(
                "That ticket was transferred: only its organizer can refund it now.",
                "transferred to someone else",
                field,
            )
        elif buyer and tickets[ticket_id].used:
            used.append(field)
    if len(set(ask.ticket_ids)) != len(ask.ticket_ids):
        errors.append(FieldError("ticket_ids", "names a ticket twice", "TICKET_REPEATED"))
    if errors:
        raise ValidationFailed("Some tickets cannot be refunded.", errors=tuple(errors))
    if used:
        raise _used("A ticket admitted at the gate cannot be refunded by its buyer.", *used)
    return ask.ticket_ids


def _refundable(ticket: Ticket, owed: Collection[str]) -> bool:
    return ticket.status is TicketStatus.VALID or ticket.id in owed


def plan_refund(
    order: Order,
    ask: RefundAsk,
    *,
    requester: Requester,
    tickets: Mapping[str, Ticket],
    refunded_ticket_ids: Collection[str],
    event_starts_at: datetime,
    now: datetime,
    owed_ticket_ids: Collection[str] = frozenset(),
) -> RefundPlan:
    """What a refund asked by ``requester`` takes back, or why it may not.

    ``tickets`` are the order's tickets by id, as read now; ``refunded_ticket_ids`` those
    of them a standing (not failed) refund took back; ``owed_ticket_ids`` those voided by
    a refund that failed and taken back by none that stands. Raises ``OrderNotRefundable``
    (the order is not paid), ``RefundNotAllowed`` (buyer policy), ``ValidationFailed``
    (tickets not of the order or already refunded) and ``RefundExceedsRemaining``.
    """
    if order.status not in REFUNDABLE:
        raise OrderNotRefundable(f"The order is {order.status.value}: there is nothing to refund.")
    buyer = requester is Requester.BUYER
    if buyer:
        _check_buyer_policy(order, ask, event_starts_at=event_starts_at, now=now)
    if ask.amount is not None and ask.ticket_ids is not None:
        raise ValidationFailed(
            "Refund either an amount or tickets, not both.",
            errors=(
                FieldError("amount_cents", "give amount_cents or ticket_ids", "VALIDATION_FAILED"),
            ),
        )
    paid = paid_components(order)
    before = refunded_components(order)
    remaining = paid.minus(before)
    ticket_ids: tuple[str, ...] = ()
    if buyer or ask.ticket_ids is not None:
        ticket_ids = _tickets_to_refund(order, ask, tickets, owed_ticket_ids, buyer=buyer)
        amounts = _tickets_part(order, tickets, remaining, ticket_ids, refunded_ticket_ids)
        if amounts.total <= 0:
            raise _exceeds("Nothing of those tickets is left to refund.", "ticket_ids")
    elif ask.amount is not None:
        if ask.amount > remaining.total:
            left = format_money(remaining.total, order.totals.currency)
            raise _exceeds(f"Only {left} of this order is left to refund.")
        amounts = Components.of_list(allocate(ask.amount, remaining.as_list()))
    else:
        amounts = remaining
    if amounts.total <= 0:
        raise _exceeds("Nothing of this order is left to refund.")
    # Allocation over what is left never takes more of a part than is left of it.
    assert amounts.within(remaining), (amounts, remaining)
    after = before.plus(amounts)
    status = status_for(paid, after)
    if status is OrderStatus.REFUNDED:  # everything went back: every ticket's money too
        ticket_ids += tuple(
            ticket_id
            for ticket_id in order.ticket_ids
            if ticket_id not in ticket_ids
            and ticket_id in tickets
            and _refundable(tickets[ticket_id], owed_ticket_ids)
        )
    void = tuple(
        ticket_id for ticket_id in ticket_ids if tickets[ticket_id].status is TicketStatus.VALID
    )
    on_sale_again = ask.reason is not RefundReason.EVENT_CANCELLED and now < event_starts_at
    return RefundPlan(
        amounts=amounts,
        refunded_after=after,
        status_after=status,
        fee_returned=fee_returned(order, before, after),
        ticket_ids=ticket_ids,
        void_ticket_ids=void,
        reason=ask.reason,
        restock=_restock(order, tickets, void) if on_sale_again else {},
    )


def _tickets_part(
    order: Order,
    tickets: Mapping[str, Ticket],
    remaining: Components,
    ticket_ids: tuple[str, ...],
    refunded_ticket_ids: Collection[str],
) -> Components:
    """What refunding ``ticket_ids`` takes back: of each part a ticket refund returns (price
    less discount, each tax; fees are kept), what is left of it split over the tickets
    whose money is still with the order in proportion to what each paid for that part.

    Earlier amount refunds so take from every such ticket its pro-rata part, and the last
    of them gets exactly the rest. A ticket voided by a refund that failed keeps its place
    (it is owed: refundable again, by ticket or by amount), so no other ticket takes it; and
    no ticket gets more of a part than it paid for it, which also keeps the fees (paid
    for by no ticket here) and, after an amount refund failed, what it had taken from
    tickets refunded since.
    """
    if not ticket_ids:  # a buyer's refund of everything, with no ticket left to refund
        return zero_components(len(remaining.taxes))
    shares = _shares_by_ticket(order, tickets)
    holding = [ticket_id for ticket_id in order.ticket_ids if ticket_id not in refunded_ticket_ids]
    paid_for = [ticket_components(shares[ticket_id]).as_list() for ticket_id in holding]
    taking = [position for position, ticket_id in enumerate(holding) if ticket_id in ticket_ids]
    parts = []
    for index, left in enumerate(remaining.as_list()):
        split = allocate(left, [paid[index] for paid in paid_for])
        parts.append(sum(min(split[at], paid_for[at][index]) for at in taking))
    return Components.of_list(parts)


def _restock(
    order: Order, tickets: Mapping[str, Ticket], void: tuple[str, ...]
) -> dict[str, Restock]:
    shares = _shares_by_ticket(order, tickets)
    restock: dict[str, Restock] = {}
    for ticket_id in void:
        if tickets[ticket_id].used:
            continue
        share = shares[ticket_id]
        tty = tickets[ticket_id].ticket_type_id
        so_far = restock.get(tty, Restock(0, Amounts()))
        restock[tty] = Restock(
            so_far.units + 1,
            Amounts(
                gross_cents=so_far.amounts.gross_cents + int(share["price"]),
                discount_cents=so_far.amounts.discount_cents + int(share["discount"]),
                fee_cents=so_far.amounts.fee_cents + int(share["platform_fee"]),
            ),
        )
    return restock


def _shares_by_ticket(order: Order, tickets: Mapping[str, Ticket]) -> dict[str, Mapping[str, Any]]:
    """Each issued ticket's share of the order: the next unclaimed share of its ticket
    type (shares of one type differ by at most a cent of rounding)."""
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for share in order.shares:
        by_type.setdefault(str(share["ticket_type_id"]), []).append(share)
    return {
        ticket_id: by_type[tickets[ticket_id].ticket_type_id].pop(0)
        for ticket_id in order.ticket_ids
    }


@dataclass(frozen=True)
class Reopened:
    refunded_after: Components
    status_after: OrderStatus
    fee_returned: int  # negative: the venue's fee share taken again


def reopen(order: Order, amounts: Components) -> Reopened:
    """A refund of ``amounts`` failed: that much is refundable again."""
    before = refunded_components(order)
    after = before.minus(amounts)
    charged_back = order.status is OrderStatus.CHARGED_BACK  # final: the bank took it all
    return Reopened(
        refunded_after=after,
        status_after=order.status if charged_back else status_for(paid_components(order), after),
        fee_returned=fee_returned(order, before, after),
    )


def stripe_reason(reason: RefundReason) -> str | None:
    """Stripe accepts three reasons; ours are kept in metadata either way."""
    return None if reason is RefundReason.EVENT_CANCELLED else reason.value
