"""E-mails from domain events (issue 8): the bus may deliver an event any number of
times, in any order; each e-mail goes out once.

Before sending, the notifier claims ``(event id, kind, recipient)`` with a short lease
(one conditional write); after sending, it marks the claim sent. A repeat finds the
claim sent and does nothing; a repeat while another copy is sending fails its record,
which the queue delivers again after the lease; a notifier that died between sending
and marking leaves a lease that runs out, and the e-mail may go twice: the price of
never losing one.

What is sent, for which event (times in the event's own time zone):

- ``order.paid``: the order confirmation (each ticket's QR inline, an itemized receipt;
  a ticket transferred or renamed meanwhile is listed without its QR)
  and, while registration is open, the link to name the attendees (to the attendee the
  buyer named, else to the buyer's address only once verified: registration.py);
- ``ticket.attendee_named``: the attendee's own ticket (its QR inline);
- ``ticket.transferred``: the ticket to its new holder, a notice to the former one (not
  for a resale: the seller hears of it by ``listing.sold``);
- ``listing.sold``: the seller's listing sold; ``listing.ended``: it ended unsold, and why;
- ``order.expired`` / ``order.cancelled``: the seats were released, nothing charged;
- ``order.refunded``: the refund confirmation;
- ``refund.failed``: the refund could not be paid, and the buyer may ask for it again;
- ``account.login_throttled``: the owner is told their account is being guessed at.

A QR goes into an e-mail only through ``mailable_qr``: to whom the ticket's version
read for that mail is for (domain/tickets.py ``qr_withheld``), never by the event alone,
because the ticket may have moved on between the event and the mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from admitone.adapters import mail
from admitone.adapters.dynamo import accounts, catalog, notifications
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.qr import render_png
from admitone.config import settings
from admitone.domain import messages
from admitone.domain.catalog import Event
from admitone.domain.money import format_money
from admitone.domain.orders import Order
from admitone.domain.tickets import QrWithheld, Ticket, qr_withheld
from admitone.observability import logger
from admitone.services.registration import invite_recipient, registration_token

LEASE = timedelta(minutes=2)


class Notified(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    IGNORED = "ignored"  # an event type nobody is told about (yet)
    NO_RECIPIENT = "no_recipient"
    SENDING_ELSEWHERE = "sending_elsewhere"  # another run has it; it will report it
    FAILED = "failed"  # SES could not take it now; the next run tries again


class SendingElsewhere(Exception):
    """Another copy of this event is sending the same e-mail right now: retry later."""


def notify(bus_event: Mapping[str, Any], *, now: datetime | None = None) -> list[Notified]:
    """Send what ``bus_event`` calls for; what became of each e-mail."""
    handler = _HANDLERS.get(str(bus_event.get("detail-type")))
    if handler is None:
        return [Notified.IGNORED]
    detail = bus_event["detail"]
    moment = now or datetime.now(UTC)
    return [
        send_once(str(detail["event_id"]), kind, recipient, moment, compose)
        if recipient
        else Notified.NO_RECIPIENT
        for kind, recipient, compose in handler(detail["data"], moment)
    ]


# What an event calls for: (kind, recipient or None, how to write it), lazily composed.
Mail = tuple[str, str | None, Callable[[], messages.EmailMessage]]


def _order_paid(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    order = _order(data["order_id"])
    recipient = recipient_of(order)
    mails: list[Mail] = [
        ("order_confirmation", recipient, lambda: _confirmation(order, recipient or ""))
    ]
    event = _event(order.event_id)
    invited = invite_recipient(order)
    if now < event.registration_deadline and invited:
        mails.append(("registration_invite", invited, lambda: invite(order, invited, now)))
    return mails


def _attendee_named(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    ticket = _ticket(data["ticket_id"])
    if ticket.version != data["version"] or not ticket.attendee_email:
        return []  # renamed again since: the newer event sends the newer ticket
    email = ticket.attendee_email
    # Naming is the purchaser's, on tickets they hold (registration.py).
    image = mailable_qr(ticket, email, mailed_holder_id=_order(ticket.order_id).buyer_id)
    if isinstance(image, QrWithheld):
        return []
    return [
        (
            "attendee_ticket",
            email,
            lambda: _delivery(ticket, image, email, ticket.attendee_name or ""),
        ),
    ]


def _transferred(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    ticket = _ticket(data["ticket_id"])
    event = _event(ticket.event_id)
    former = accounts.user_by_id(data["from_holder_id"])
    current = accounts.user_by_id(data["to_holder_id"])
    mails: list[Mail] = []
    if former and not data.get("escrow_id"):
        mails.append(
            (
                "ticket_sent",
                former.email,
                lambda: messages.ticket_sent(
                    former.email, former.name, event_title=event.title, code=ticket.code
                ),
            )
        )
    if current and ticket.version == data["version"]:
        image = mailable_qr(ticket, current.email, mailed_holder_id=current.id)
        if isinstance(image, QrWithheld):
            return mails
        sender = former.name if former else None
        mails.append(
            (
                "ticket_received",
                current.email,
                lambda: _delivery(ticket, image, current.email, current.name, sent_by=sender),
            )
        )
    return mails


def _listing_sold(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    seller = accounts.user_by_id(data["seller_id"])
    if seller is None:
        return []
    title = _event(data["event_id"]).title
    price = format_money(int(data["price_cents"]), str(data["currency"]))
    return [
        (
            "listing_sold",
            seller.email,
            lambda: messages.listing_sold(
                seller.email, seller.name, event_title=title, price=price
            ),
        )
    ]


def _listing_ended(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    seller = accounts.user_by_id(data["seller_id"])
    if seller is None:
        return []
    title = _event(data["event_id"]).title
    reason = str(data["reason"])
    return [
        (
            "listing_ended",
            seller.email,
            lambda: messages.listing_ended(
                seller.email, seller.name, event_title=title, reason=reason
            ),
        )
    ]


# The reasons an ``order.expired`` / ``order.cancelled`` carries that its mail tells
# apart; every other reason (the buyer's, a failed placing) is a plain cancellation.
_HOLD_ENDS = {
    "hold_expired": messages.HoldEnd.EXPIRED,
    "event_cancelled": messages.HoldEnd.EVENT_CANCELLED,
}


def _order_ended(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    order = _order(data["order_id"])
    recipient = recipient_of(order)
    return [
        (
            "order_ended",
            recipient,
            lambda: messages.order_ended(
                recipient or "",
                buyer_name(order),
                event_title=_event(order.event_id).title,
                order_number=order.number,
                why=_HOLD_ENDS.get(data["reason"], messages.HoldEnd.CANCELLED),
            ),
        )
    ]


def send_once(
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


def _order(order_id: str) -> Order:
    order = order_store.get_order(order_id)
    assert order is not None  # an event names a stored order
    return order


def _ticket(ticket_id: str) -> Ticket:
    ticket = ticket_store.get_ticket(ticket_id)
    assert ticket is not None  # an event names a stored ticket
    return ticket


def _event(event_id: str) -> Event:
    event = catalog.get_event(event_id)
    assert event is not None  # an event with orders is never deleted
    return event


def local_time(moment: datetime, event: Event) -> str:
    return f"{moment.astimezone(ZoneInfo(event.timezone)):%A %d %B %Y, %H:%M} ({event.timezone})"


def buyer_name(order: Order) -> str:
    buyer = accounts.user_by_id(order.buyer_id)
    return buyer.name if buyer else ""


def invite(
    order: Order, recipient: str, now: datetime, *, reminder: bool = False
) -> messages.EmailMessage:
    event = _event(order.event_id)
    issued = registration_token(order, event, now=now)
    assert issued is not None  # a paid order of an event not yet over
    return messages.registration_invite(
        recipient,
        buyer_name(order),
        event_title=event.title,
        deadline_local=local_time(event.registration_deadline, event),
        register_url=messages.app_link(
            settings().app_base_url, "/registrations", token=issued.token
        ),
        reminder=reminder,
    )


def mailable_qr(
    ticket: Ticket, addressee: str, *, mailed_holder_id: str
) -> messages.InlineImage | QrWithheld:
    """``ticket``'s QR as an inline image for a mail to ``addressee``, or why they may not
    have it (``qr_withheld``): the one way a QR gets into an e-mail. The image is of the
    very ticket that was judged, so a later change cannot slip in between."""
    holder = accounts.user_by_id(ticket.holder_id)
    withheld = qr_withheld(
        ticket,
        addressee,
        holder_email=holder.email if holder else None,
        mailed_holder_id=mailed_holder_id,
    )
    if withheld is not None:
        return withheld
    return messages.InlineImage(f"{ticket.code.lower()}@admitone", render_png(ticket.token))


def _delivery(
    ticket: Ticket,
    image: messages.InlineImage,
    recipient: str,
    name: str,
    *,
    sent_by: str | None = None,
) -> messages.EmailMessage:
    partition = catalog.event_partition(ticket.event_id)
    assert partition.event is not None
    ticket_type = partition.ticket_types.get(ticket.ticket_type_id)
    return messages.ticket_delivery(
        recipient,
        name,
        event_title=partition.event.title,
        starts_local=local_time(partition.event.starts_at, partition.event),
        ticket=messages.TicketEntry(
            ticket.code, ticket_type.name if ticket_type else "", image.cid
        ),
        image=image,
        sent_by=sent_by,
    )


def recipient_of(order: Order) -> str | None:
    if order.attendee_email:
        return order.attendee_email
    buyer = accounts.user_by_id(order.buyer_id)
    return buyer.email if buyer else None


def _confirmation(order: Order, recipient: str) -> messages.EmailMessage:
    event = catalog.event_partition(order.event_id)
    assert event.event is not None  # an event with orders is never deleted
    tickets = ticket_store.tickets_by_id(order.ticket_ids)
    names = {t.id: t.name for t in event.ticket_types.values()}
    entries, images, withheld = [], [], []
    for ticket in tickets:
        type_name = names.get(ticket.ticket_type_id, "")
        image = mailable_qr(ticket, recipient, mailed_holder_id=order.buyer_id)
        if isinstance(image, QrWithheld):
            withheld.append(messages.WithheldTicket(ticket.code, type_name, image))
            continue
        entries.append(messages.TicketEntry(ticket.code, type_name, image.cid))
        images.append(image)
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
    return messages.order_confirmation(
        recipient,
        buyer_name(order),
        event_title=event.event.title,
        starts_local=local_time(event.event.starts_at, event.event),
        order_number=order.number,
        tickets=entries,
        receipt=receipt,
        total=line("Total", totals.total),
        images=images,
        withheld=withheld,
    )


def _login_throttled(data: Mapping[str, Any], now: datetime) -> list[Mail]:
    owner = accounts.user_by_id(data["user_id"])
    if owner is None:
        return []
    return [
        (
            "login_attempts",
            owner.email,
            lambda: messages.login_attempts(owner.email, owner.name, int(data["failures"])),
        )
    ]


class _RefundMessage(Protocol):
    def __call__(
        self, to: str, name: str, *, event_title: str, order_number: str, amount: str
    ) -> messages.EmailMessage: ...


def _refund_mail(
    kind: str, compose: _RefundMessage
) -> Callable[[Mapping[str, Any], datetime], list[Mail]]:
    """A refund's mail to the buyer (``order.refunded``, ``refund.failed``): the same
    facts, told by ``compose``."""

    def mail(data: Mapping[str, Any], now: datetime) -> list[Mail]:
        order = _order(data["order_id"])
        recipient = recipient_of(order)
        return [
            (
                kind,
                recipient,
                lambda: compose(
                    recipient or "",
                    buyer_name(order),
                    event_title=_event(order.event_id).title,
                    order_number=order.number,
                    amount=format_money(int(data["amount"]), str(data["currency"])),
                ),
            )
        ]

    return mail


_HANDLERS: Mapping[str, Callable[[Mapping[str, Any], datetime], list[Mail]]] = {
    "order.paid": _order_paid,
    "ticket.attendee_named": _attendee_named,
    "ticket.transferred": _transferred,
    "listing.sold": _listing_sold,
    "listing.ended": _listing_ended,
    "order.expired": _order_ended,
    "order.cancelled": _order_ended,
    "order.refunded": _refund_mail("refund_confirmation", messages.refund_confirmation),
    "refund.failed": _refund_mail("refund_failed", messages.refund_failed),
    "account.login_throttled": _login_throttled,
}
NOTIFIED_EVENT_TYPES = tuple(_HANDLERS)
