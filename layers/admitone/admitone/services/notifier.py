"""E-mails from domain events (issue 8): the bus may deliver an event any number of
times, in any order; each e-mail goes out once.

Before sending, the notifier claims ``(event id, kind, recipient)`` with a short lease
(one conditional write); after sending, it marks the claim sent. A repeat finds the
claim sent and does nothing; a repeat while another copy is sending fails its record,
which the queue delivers again after the lease; a notifier that died between sending
and marking leaves a lease that runs out, and the e-mail may go twice: the price of
never losing one.

So far: the order confirmation (``order.paid``), with each ticket's QR inline and an
itemized receipt, times in the event's own time zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from admitone.adapters import mail
from admitone.adapters.dynamo import accounts, catalog, notifications
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.qr import render_png
from admitone.domain import messages
from admitone.domain.money import format_money
from admitone.domain.orders import Order
from admitone.observability import logger

LEASE = timedelta(minutes=2)


class Notified(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    IGNORED = "ignored"  # an event type nobody is told about (yet)
    NO_RECIPIENT = "no_recipient"


class SendingElsewhere(Exception):
    """Another copy of this event is sending the same e-mail right now: retry later."""


def notify(bus_event: Mapping[str, Any], *, now: datetime | None = None) -> Notified:
    handler = _HANDLERS.get(str(bus_event.get("detail-type")))
    if handler is None:
        return Notified.IGNORED
    return handler(bus_event["detail"], now or datetime.now(UTC))


def _order_paid(detail: Mapping[str, Any], now: datetime) -> Notified:
    order = order_store.get_order(detail["data"]["order_id"])
    assert order is not None  # an order.paid event names a stored order
    recipient = _recipient(order)
    if recipient is None:
        logger.warning("no address to confirm the order to", extra={"order_id": order.id})
        return Notified.NO_RECIPIENT
    return _send_once(
        str(detail["event_id"]),
        "order_confirmation",
        recipient,
        now,
        lambda: _confirmation(order, recipient),
    )


def _send_once(
    event_id: str,
    kind: str,
    recipient: str,
    now: datetime,
    compose: Callable[[], messages.EmailMessage],
) -> Notified:
    key = hashlib.sha256(f"{event_id}\x00{kind}\x00{recipient}".encode()).hexdigest()
    claim = notifications.claim(key, kind=kind, now=now, until=now + LEASE)
    if claim is notifications.Claim.SENT:
        return Notified.ALREADY_SENT
    if claim is notifications.Claim.BUSY:
        raise SendingElsewhere(kind)
    message_id = mail.send_email(compose())
    notifications.mark_sent(key, message_id=message_id, now=datetime.now(UTC))
    logger.info("notification sent", extra={"kind": kind, "event_id": event_id})
    return Notified.SENT


def _recipient(order: Order) -> str | None:
    if order.attendee_email:
        return order.attendee_email
    buyer = accounts.user_by_id(order.buyer_id)
    return buyer.email if buyer else None


def _confirmation(order: Order, recipient: str) -> messages.EmailMessage:
    event = catalog.event_partition(order.event_id)
    assert event.event is not None  # an event with orders is never deleted
    zone = ZoneInfo(event.event.timezone)
    starts = event.event.starts_at.astimezone(zone)
    tickets = ticket_store.tickets_by_id(order.ticket_ids)
    names = {t.id: t.name for t in event.ticket_types.values()}
    entries, images = [], []
    for ticket in tickets:
        cid = f"{ticket.code.lower()}@admitone"
        entries.append(messages.TicketEntry(ticket.code, names.get(ticket.ticket_type_id, ""), cid))
        images.append(messages.InlineImage(cid, render_png(ticket.token)))
    totals, currency = order.totals, order.totals.currency

    def line(label: str, cents: int) -> messages.ReceiptLine:
        return messages.ReceiptLine(label, format_money(cents, currency))

    receipt = [line("Subtotal", totals.subtotal)]
    if totals.discount:
        receipt.append(line("Discount", -totals.discount))
    receipt.append(line("Service fee", totals.platform_fee))
    if totals.nft_fee:
        receipt.append(line("NFT fee", totals.nft_fee))
    receipt += [
        line(f"{tax['name']} ({tax['rate_bps'] / 100:g} %)", tax["amount"]) for tax in totals.taxes
    ]
    buyer = accounts.user_by_id(order.buyer_id)
    return messages.order_confirmation(
        recipient,
        buyer.name if buyer else "",
        event_title=event.event.title,
        starts_local=f"{starts:%A %d %B %Y, %H:%M} ({event.event.timezone})",
        order_number=order.number,
        tickets=entries,
        receipt=receipt,
        total=line("Total", totals.total),
        images=images,
    )


_HANDLERS: Mapping[str, Callable[[Mapping[str, Any], datetime], Notified]] = {
    "order.paid": _order_paid,
}
