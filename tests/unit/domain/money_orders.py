"""Paid orders built the way the order service builds them (priced by domain/pricing.py,
one ticket per priced unit), for the pure tests of refunds and the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from admitone.domain.inventory import Allocation
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals
from admitone.domain.pricing import CartLine, FeeTier, PercentOff, quote
from admitone.domain.tax import TaxComponent, TaxJurisdiction
from admitone.domain.tickets import Ticket

PAID_AT = datetime(2026, 11, 1, 12, tzinfo=UTC)
STARTS_AT = PAID_AT + timedelta(days=20)
BUYER = "usr_buyer"
NASHVILLE = TaxJurisdiction(
    (
        TaxComponent("Tennessee Sales Tax", 700),
        TaxComponent("Nashville Local Tax", 225),
        TaxComponent("Entertainment Tax", 100),
    )
)


@dataclass(frozen=True)
class Bought:
    order: Order
    tickets: dict[str, Ticket]

    @property
    def ticket_ids(self) -> list[str]:
        return list(self.order.ticket_ids)


def bought(
    lines: Sequence[tuple[str, int, int]],
    *,
    voucher_bps: int | None = None,
    nft: bool = False,
    order_id: str = "ord_1",
) -> Bought:
    """A paid order of ``lines`` (ticket type, unit price, quantity)."""
    priced = quote(
        [CartLine(tty, price, quantity) for tty, price, quantity in lines],
        fee_tier=FeeTier.STARTER,
        tax=NASHVILLE,
        voucher=PercentOff(voucher_bps) if voucher_bps else None,
        nft=nft,
    )
    ticket_ids = tuple(f"tkt_{order_id}_{n}" for n in range(len(priced.tickets)))
    order = Order(
        id=order_id,
        number="ORD-2026-000001",
        buyer_id=BUYER,
        event_id="evt_1",
        status=OrderStatus.PAID,
        lines=tuple(OrderLine(tty, quantity, price) for tty, price, quantity in lines),
        totals=OrderTotals(
            currency="USD",
            subtotal=priced.subtotal,
            discount=priced.discount,
            platform_fee=priced.platform_fee,
            nft_fee=priced.nft_fee,
            taxes=tuple(
                {"name": t.name, "rate_bps": t.rate_bps, "amount": t.amount} for t in priced.taxes
            ),
            total=priced.total,
        ),
        allocation=Allocation(()),
        hold_expires_at=PAID_AT,
        created_at=PAID_AT,
        ticket_ids=ticket_ids,
        paid_at=PAID_AT,
        shares=tuple(
            {
                "ticket_type_id": share.ticket_type_id,
                "price": share.price,
                "discount": share.discount,
                "platform_fee": share.platform_fee,
                "nft_fee": share.nft_fee,
                "taxes": [tax.amount for tax in share.taxes],
            }
            for share in priced.tickets
        ),
    )
    tickets = {
        ticket_id: Ticket(
            id=ticket_id,
            code="TKT-ABCDEFGHJKMN",
            order_id=order_id,
            event_id="evt_1",
            ticket_type_id=share.ticket_type_id,
            holder_id=BUYER,
            token="token",
            issued_at=PAID_AT,
        )
        for ticket_id, share in zip(ticket_ids, priced.tickets, strict=True)
    }
    return Bought(order, tickets)
