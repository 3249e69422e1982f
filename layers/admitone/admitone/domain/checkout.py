"""What may be bought, as a pure check of a cart against the catalog: the event is on
sale, each ticket type is on sale and visible to this cart, quantities are within the
limits (RULES §4), and the voucher applies. The result feeds ``pricing.quote``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from admitone.domain.catalog import Event, EventStatus, TicketType, Voucher, VoucherKind
from admitone.domain.errors import (
    FieldError,
    InvalidVoucher,
    LimitExceeded,
    NotFound,
    SalesClosed,
    VoucherNotApplicable,
)
from admitone.domain.pricing import AmountOff, CartLine, PercentOff
from admitone.domain.tokens import can_carry_event

MAX_LINE_QUANTITY = 10  # RULES §4


@dataclass(frozen=True)
class CartItem:
    ticket_type_id: str
    quantity: int


@dataclass(frozen=True)
class CheckedCart:
    lines: tuple[CartLine, ...]
    ticket_types: tuple[TicketType, ...]  # per line
    discount: PercentOff | AmountOff | None


def _on_sale(start: datetime, end: datetime, now: datetime) -> bool:
    return start <= now < end


def check_cart(
    event: Event | None,
    ticket_types: Mapping[str, TicketType],
    items: Sequence[CartItem],
    *,
    voucher: Voucher | None,
    voucher_code: str | None,
    now: datetime,
) -> CheckedCart:
    if event is None or event.status is not EventStatus.PUBLISHED:
        raise NotFound("No such event.")
    if not _on_sale(event.sales_start, event.sales_end, now):
        raise SalesClosed("The event is not on sale now.")
    if not can_carry_event(event.ends_at):
        # Stored before RULES §4's window: no ticket could be issued for the money.
        raise SalesClosed("Tickets for this event cannot be issued; it is not on sale.")
    if voucher_code is not None and (voucher is None or not _voucher_valid(voucher, now)):
        raise InvalidVoucher(
            "The code is not valid for this event now.",
            errors=(FieldError("voucher_code", "unknown or expired", "VOUCHER_INVALID"),),
        )
    unlocked = set(voucher.ticket_type_ids) if voucher else set()
    lines: list[CartLine] = []
    types: list[TicketType] = []
    errors: list[FieldError] = []
    totals: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"items[{index}]"
        ticket_type = ticket_types.get(item.ticket_type_id)
        visible = ticket_type is not None and (
            not ticket_type.hidden
            or (
                voucher is not None
                and voucher.kind is VoucherKind.ACCESS
                and (not unlocked or ticket_type.id in unlocked)
            )
        )
        if ticket_type is None or not visible:
            errors.append(FieldError(f"{where}.ticket_type_id", "no such ticket type", "UNKNOWN"))
            continue
        start = ticket_type.sales_start or event.sales_start
        end = ticket_type.sales_end or event.sales_end
        if not _on_sale(start, end, now):
            raise SalesClosed(
                f"{ticket_type.name} is not on sale now.",
                errors=(FieldError(f"{where}.ticket_type_id", "not on sale", SalesClosed.code),),
            )
        if not 1 <= item.quantity <= MAX_LINE_QUANTITY:
            errors.append(
                FieldError(f"{where}.quantity", f"1 to {MAX_LINE_QUANTITY}", "OUT_OF_RANGE")
            )
            continue
        totals[ticket_type.id] = totals.get(ticket_type.id, 0) + item.quantity
        if totals[ticket_type.id] > ticket_type.max_per_order:
            errors.append(
                FieldError(
                    f"{where}.quantity",
                    f"at most {ticket_type.max_per_order} per order",
                    LimitExceeded.code,
                )
            )
            continue
        lines.append(CartLine(ticket_type.id, ticket_type.price_cents, item.quantity))
        types.append(ticket_type)
    if errors:
        raise LimitExceeded("The cart is not valid.", errors=tuple(errors))
    return CheckedCart(
        lines=tuple(lines),
        ticket_types=tuple(types),
        discount=_discount(voucher, {t.id for t in types}),
    )


def _voucher_valid(voucher: Voucher, now: datetime) -> bool:
    return (
        (voucher.valid_from is None or voucher.valid_from <= now)
        and (voucher.valid_to is None or now < voucher.valid_to)
        and (voucher.max_uses is None or voucher.uses < voucher.max_uses)
    )


def _discount(voucher: Voucher | None, in_cart: set[str]) -> PercentOff | AmountOff | None:
    if voucher is None or voucher.kind is VoucherKind.ACCESS:
        return None
    limited = frozenset(voucher.ticket_type_ids) or None
    if limited is not None and not limited & in_cart:
        raise VoucherNotApplicable(
            "The code does not apply to these tickets.",
            errors=(
                FieldError("voucher_code", "not for these ticket types", VoucherNotApplicable.code),
            ),
        )
    if voucher.kind is VoucherKind.PERCENT:
        return PercentOff(bps=voucher.value, ticket_type_ids=limited)
    return AmountOff(cents=voucher.value, ticket_type_ids=limited)
