"""Transactional e-mails, each rendered as plain text and HTML from one outline.

Every interpolated value is HTML-escaped in the HTML body; a message's only links are
absolute http(s) URLs its caller built (``app_link``) from the app's base URL, and a
token travels only inside its link. Names are shown collapsed to one line and
shortened, because a registrant types the name that goes to an unverified address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape
from urllib.parse import urlencode, urlsplit

from admitone.domain.tickets import QrWithheld

BRAND = "admitone"
NAME_MAX_LENGTH = 64

# One bare addr-spec: no display name, no list, nothing that could start a new header.
_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+")

# Inline styles: many mail clients drop <style> blocks.
_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_BODY_STYLE = f"margin:0;padding:24px 12px;background:#f4f4f5;{_FONT}"
_CARD_STYLE = (
    "max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;"
    "font-size:16px;line-height:1.5;color:#18181b"
)
_BRAND_STYLE = "margin:0 0 24px;font-size:20px;font-weight:700;color:#4338ca"
_HEADING_STYLE = "margin:0 0 16px;font-size:22px;line-height:1.3;color:#18181b"
_PARAGRAPH_STYLE = "margin:0 0 16px"
_BUTTON_STYLE = (
    "display:inline-block;padding:12px 20px;background:#4338ca;color:#ffffff;"
    "font-weight:600;text-decoration:none;border-radius:6px"
)
_SMALL_STYLE = "margin:0 0 24px;font-size:14px;color:#52525b"
_URL_STYLE = "color:#4338ca;word-break:break-all"
_FOOTER_STYLE = (
    "max-width:560px;margin:16px auto 0;padding:0 32px;font-size:13px;line-height:1.5;color:#52525b"
)
_AUTOMATED = f"This is an automated message from {BRAND}; replies are not read."


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML shows with ``<img src="cid:{cid}">`` (a related MIME part)."""

    cid: str
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class EmailMessage:
    """A rendered e-mail to one recipient, ready for any mail adapter."""

    to: str
    subject: str
    text: str
    html: str
    images: tuple[InlineImage, ...] = ()

    def __post_init__(self) -> None:
        # The messages never quote the address: it must not reach logs through an error.
        if not _ADDRESS.fullmatch(self.to):
            raise ValueError("the recipient is not one e-mail address")
        if "\r" in self.subject or "\n" in self.subject:
            raise ValueError("the subject must be a single line")


@dataclass(frozen=True)
class _Link:
    label: str
    url: str


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    amount: str  # already formatted with its currency


@dataclass(frozen=True)
class _Receipt:
    lines: tuple[ReceiptLine, ...]
    total: ReceiptLine


@dataclass(frozen=True)
class TicketEntry:
    code: str
    ticket_type: str
    image_cid: str


@dataclass(frozen=True)
class WithheldTicket:
    """A ticket of the order whose QR the e-mail leaves out, and why (never to whom)."""

    code: str
    ticket_type: str
    reason: QrWithheld


_WITHHELD = {
    QrWithheld.TRANSFERRED: "was transferred to someone else: it is theirs now, and its QR "
    "code is not in this e-mail.",
    QrWithheld.REASSIGNED: "was assigned to another attendee, who is sent it on their own; "
    "its QR code is not in this e-mail.",
    QrWithheld.VOID: "is no longer valid (refunded, or its event cancelled) and has no QR code.",
}


@dataclass(frozen=True)
class _Tickets:
    entries: tuple[TicketEntry, ...]


type _Block = str | _Link | _Receipt | _Tickets


def app_link(base_url: str, path: str, **query: str) -> str:
    """The absolute URL ``base_url`` + ``path`` (+ ``?query``), e.g. from APP_BASE_URL."""
    url = f"{base_url.rstrip('/')}/{path.lstrip('/')}"
    if query:
        url = f"{url}?{urlencode(query)}"
    return _absolute(url)


# ------------------------------------------------------------------ messages
def verify_email(to: str, name: str, verify_url: str) -> EmailMessage:
    """Asks a new registrant to confirm the address they signed up with."""
    return _compose(
        to,
        subject="Confirm your e-mail address",
        heading="Confirm your e-mail address",
        name=name,
        blocks=(
            f"Thanks for signing up for {BRAND}. Please confirm that this is your e-mail "
            "address, so that we can send you your orders and tickets.",
            _Link("Confirm e-mail address", verify_url),
        ),
        footer=f"If you did not sign up for {BRAND}, you can ignore this e-mail.",
    )


def account_already_exists(to: str, name: str, login_url: str, reset_url: str) -> EmailMessage:
    """Sent instead of ``verify_email`` when the address already has an account, so that
    registering answers alike for known and unknown addresses. ``name`` is the existing
    account's, never what the registrant typed."""
    return _compose(
        to,
        subject=f"You already have an {BRAND} account",
        heading="You already have an account",
        name=name,
        blocks=(
            f"Someone, hopefully you, just tried to sign up for {BRAND} with this e-mail "
            "address. There is already an account for it, so no new account was created.",
            "Sign in with your password, or choose a new one if you have forgotten it.",
            _Link("Sign in", login_url),
            _Link("Reset password", reset_url),
        ),
        footer="If this was not you, you can ignore this e-mail: your account has not changed.",
    )


def password_reset(to: str, name: str, reset_url: str, valid_minutes: int) -> EmailMessage:
    """Carries the link to choose a new password; it expires after ``valid_minutes``."""
    return _compose(
        to,
        subject=f"Reset your {BRAND} password",
        heading="Reset your password",
        name=name,
        blocks=(
            f"We received a request to reset the password of your {BRAND} account. "
            "Choose a new password with this link:",
            _Link("Choose a new password", reset_url),
            f"The link expires in {_duration(valid_minutes)}.",
        ),
        footer="If you did not ask for a new password, you can ignore this e-mail: "
        "your password stays the same.",
    )


def reset_without_account(to: str, register_url: str) -> EmailMessage:
    """Answers a password-reset request for an address with no account, so that asking
    does the same work (and takes the same time) for known and unknown addresses."""
    return _compose(
        to,
        subject=f"Reset your {BRAND} password",
        heading="No account for this address",
        name="",
        blocks=(
            f"We received a request to reset the {BRAND} password for this e-mail address, "
            "but there is no account for it.",
            "If you meant to sign up, you can create an account:",
            _Link("Create an account", register_url),
        ),
        footer="If this was not you, you can ignore this e-mail: nothing was changed.",
    )


def password_changed(to: str, name: str) -> EmailMessage:
    """Confirms a password change, so that an owner notices one they did not make."""
    return _compose(
        to,
        subject=f"Your {BRAND} password was changed",
        heading="Your password was changed",
        name=name,
        blocks=(
            f"The password of your {BRAND} account was just changed. "
            "If you made this change, there is nothing else to do.",
            "If you did not, reset your password now with “Forgot password” on the "
            f"sign-in page, and contact {BRAND} support.",
        ),
        footer=f"You receive this e-mail because the password of your {BRAND} account changed.",
    )


def login_attempts(to: str, name: str, failures: int) -> EmailMessage:
    """Tells an owner their account is being guessed at. It says nothing of where the
    attempts came from and carries no link: it asks for nothing but a strong password."""
    return _compose(
        to,
        subject=f"Failed sign-in attempts on your {BRAND} account",
        heading="Someone is trying to sign in",
        name=name,
        blocks=(
            f"There were {failures} failed attempts to sign in to your {BRAND} account "
            "with a wrong password. To protect it, sign-in with this address is slowed "
            "down for a while; your password still works.",
            "If this was you and you have forgotten your password, choose a new one with "
            "“Forgot password” on the sign-in page, which will reset it.",
            "If this was not you, nothing else is needed as long as your password is "
            f"strong and used nowhere else; if it is not, reset it now. {BRAND} never asks "
            "for your password by e-mail.",
        ),
        footer=f"You receive this e-mail because someone tried to sign in to your {BRAND} account.",
    )


def order_confirmation(
    to: str,
    name: str,
    *,
    event_title: str,
    starts_local: str,
    order_number: str,
    tickets: Sequence[TicketEntry],
    receipt: Sequence[ReceiptLine],
    total: ReceiptLine,
    images: Sequence[InlineImage],
    withheld: Sequence[WithheldTicket] = (),
) -> EmailMessage:
    """The buyer's tickets (one QR each, inline) and an itemized receipt; the order's
    ``withheld`` tickets are listed without a QR, with the reason."""
    cids = {image.cid for image in images}
    if {ticket.image_cid for ticket in tickets} != cids:
        raise ValueError("every ticket needs its own image, and every image a ticket")
    count = len(tickets) + len(withheld)
    shown: tuple[_Block, ...] = (
        (
            "Show one QR code per person at the gate. Each admits once; do not share it.",
            _Tickets(tuple(tickets)),
        )
        if tickets
        else ()
    )
    message = _compose(
        to,
        subject=f"Your tickets for {_one_line(event_title)}",
        heading=f"You're going to {_one_line(event_title)}",
        name=name,
        blocks=(
            f"Order {order_number}: {count} ticket{'s' if count != 1 else ''}, {starts_local}.",
            *shown,
            *(f"{t.code} ({t.ticket_type}) {_WITHHELD[t.reason]}" for t in withheld),
            _Receipt(tuple(receipt), total),
        ),
        footer=f"You receive this e-mail because you bought tickets with {BRAND}.",
    )
    return EmailMessage(message.to, message.subject, message.text, message.html, tuple(images))


def registration_invite(
    to: str,
    name: str,
    *,
    event_title: str,
    deadline_local: str,
    register_url: str,
    reminder: bool = False,
) -> EmailMessage:
    """The purchaser's link to name who each ticket is for (again, as a reminder)."""
    return _compose(
        to,
        subject=f"{'Reminder: t' if reminder else 'T'}ell us who is coming to "
        f"{_one_line(event_title)}",
        heading="Name your guests",
        name=name,
        blocks=(
            f"Each ticket of your order for {_one_line(event_title)} can carry its "
            f"attendee's name; each attendee then gets their own ticket by e-mail. "
            f"Registration closes {deadline_local}.",
            _Link("Name the attendees", register_url),
        ),
        footer=f"You receive this e-mail because you bought tickets with {BRAND}.",
    )


def ticket_delivery(
    to: str,
    name: str,
    *,
    event_title: str,
    starts_local: str,
    ticket: TicketEntry,
    image: InlineImage,
    sent_by: str | None = None,
) -> EmailMessage:
    """One ticket for its attendee: named by the purchaser, or transferred to them."""
    if image.cid != ticket.image_cid:
        raise ValueError("the ticket needs its own image")
    reason = (
        f"{_display_name(sent_by)} sent you a ticket."
        if sent_by
        else "A ticket was bought for you."
    )
    message = _compose(
        to,
        subject=f"Your ticket for {_one_line(event_title)}",
        heading=f"You're going to {_one_line(event_title)}",
        name=name,
        blocks=(
            f"{reason} {_one_line(event_title)}, {starts_local}.",
            "Show this QR code at the gate. It admits once; do not share it.",
            _Tickets((ticket,)),
        ),
        footer=f"You receive this e-mail because a {BRAND} ticket was issued to this address.",
    )
    return EmailMessage(message.to, message.subject, message.text, message.html, (image,))


def event_reminder(
    to: str, name: str, *, event_title: str, starts_local: str, tickets: int
) -> EmailMessage:
    """The day before: what, when, and that the tickets are in the app."""
    return _compose(
        to,
        subject=f"Tomorrow: {_one_line(event_title)}",
        heading=f"{_one_line(event_title)} is almost here",
        name=name,
        blocks=(
            f"It starts {starts_local}. You hold {tickets} ticket{'s' if tickets != 1 else ''};"
            f" their QR codes are in your {BRAND} account and in your confirmation e-mail.",
        ),
        footer=f"You receive this e-mail because you hold a ticket with {BRAND}.",
    )


def ticket_sent(to: str, name: str, *, event_title: str, code: str) -> EmailMessage:
    """To the former holder: the ticket has moved on, and its old QR is void."""
    return _compose(
        to,
        subject=f"You sent your ticket for {_one_line(event_title)}",
        heading="Ticket sent",
        name=name,
        blocks=(
            f"Your ticket {code} for {_one_line(event_title)} now belongs to the person you "
            "sent it to. The QR code you had no longer admits anyone.",
            f"If you did not do this, contact {BRAND} support at once.",
        ),
        footer=f"You receive this e-mail because a ticket left your {BRAND} account.",
    )


def listing_sold(to: str, name: str, *, event_title: str, price: str) -> EmailMessage:
    """To the seller: a buyer paid for their resale listing and has the ticket now."""
    return _compose(
        to,
        subject=f"Your ticket for {_one_line(event_title)} sold",
        heading="Listing sold",
        name=name,
        blocks=(
            f"Your resale listing for {_one_line(event_title)} sold for {price}. The ticket "
            "now belongs to its buyer; the QR code you had no longer admits anyone.",
            "Your proceeds (the price less royalties and the platform's share) become "
            "payable 48 hours after the event ends.",
        ),
        footer=f"You receive this e-mail because you listed a ticket on {BRAND}.",
    )


# Why a listing ended by itself (``resale.ListingEnd`` values), as its seller is told.
LISTING_END_REASONS: dict[str, str] = {
    "ticket_scanned": "the ticket was used at the gate",
    "ticket_refunded": "the ticket was refunded",
    "ticket_transferred": "the ticket was passed on to someone else",
    "ticket_voided": "the ticket was voided",
    "event_cancelled": "the event was cancelled",
    "event_started": "the event has started",
}


def listing_ended(to: str, name: str, *, event_title: str, reason: str) -> EmailMessage:
    """To the seller: their listing ended unsold, and why."""
    why = LISTING_END_REASONS.get(reason, "it can no longer be sold")
    return _compose(
        to,
        subject=f"Your listing for {_one_line(event_title)} ended",
        heading="Listing ended",
        name=name,
        blocks=(
            f"Your resale listing for {_one_line(event_title)} ended unsold because {why}.",
            "Nobody was charged for it.",
        ),
        footer=f"You receive this e-mail because you listed a ticket on {BRAND}.",
    )


class HoldEnd(StrEnum):
    """Why an unpaid order gave its seats back, as its buyer is told."""

    EXPIRED = "expired"  # its hold ran out before it was paid
    CANCELLED = "cancelled"  # the buyer gave it up, or it could not be placed
    EVENT_CANCELLED = "event_cancelled"  # the organizer cancelled the event


def order_ended(
    to: str, name: str, *, event_title: str, order_number: str, why: HoldEnd
) -> EmailMessage:
    """An unpaid order ended without a charge; the seats went back on sale unless the
    event itself was called off."""
    title = _one_line(event_title)
    if why is HoldEnd.EVENT_CANCELLED:
        subject = f"Order {order_number} was cancelled with its event"
        block = (
            f"{title} was cancelled by its organizer, so your unpaid order {order_number} "
            "was cancelled too; nothing was charged."
        )
    else:
        what = "expired before it was paid" if why is HoldEnd.EXPIRED else "was cancelled"
        subject = f"Order {order_number} {what}"
        block = (
            f"Your order {order_number} for {title} {what}; nothing was charged and the "
            "seats went back on sale."
        )
    return _compose(
        to,
        subject=subject,
        heading="Your order ended unpaid",
        name=name,
        blocks=(block,),
        footer=f"You receive this e-mail because you placed an order with {BRAND}.",
    )


def refund_confirmation(
    to: str, name: str, *, event_title: str, order_number: str, amount: str
) -> EmailMessage:
    return _compose(
        to,
        subject=f"Refund of order {order_number}",
        heading="Your money is on its way back",
        name=name,
        blocks=(
            f"We refunded {amount} for order {order_number} ({_one_line(event_title)}) to "
            "the card you paid with. Banks take 5 to 10 business days to show it.",
        ),
        footer=f"You receive this e-mail because you placed an order with {BRAND}.",
    )


def refund_failed(
    to: str, name: str, *, event_title: str, order_number: str, amount: str
) -> EmailMessage:
    return _compose(
        to,
        subject=f"Your refund of order {order_number} could not be paid",
        heading="Your refund did not go through",
        name=name,
        blocks=(
            f"Your bank or card could not take back the refund of {amount} for order "
            f"{order_number} ({_one_line(event_title)}). Nothing was refunded, and it is "
            "still yours: you can ask for it again from your order, or the organizer will "
            "refund it.",
        ),
        footer=f"You receive this e-mail because you placed an order with {BRAND}.",
    )


# -------------------------------------------------------------------- layout
def _compose(
    to: str, *, subject: str, heading: str, name: str, blocks: Sequence[_Block], footer: str
) -> EmailMessage:
    display = _display_name(name)
    body = (f"Hi {display}," if display else "Hello,", *blocks)
    for block in body:
        if isinstance(block, _Link):
            _absolute(block.url)
    return EmailMessage(
        to=to,
        subject=subject,
        text=_text(heading, body, footer),
        html=_html(subject, heading, body, footer),
    )


def _text(heading: str, body: Sequence[_Block], footer: str) -> str:
    parts = [
        heading,
        *(_text_block(block) for block in body),
        f"-- \n{BRAND}\n{footer}\n{_AUTOMATED}",
    ]
    return "\n\n".join(parts) + "\n"


def _text_block(block: _Block) -> str:
    if isinstance(block, _Link):
        return f"{block.label}:\n{block.url}"
    if isinstance(block, _Tickets):
        return "\n".join(
            f"- {ticket.code} ({ticket.ticket_type}): QR code in the HTML version"
            for ticket in block.entries
        )
    if isinstance(block, _Receipt):
        width = max(len(line.label) for line in (*block.lines, block.total))
        rows = [f"{line.label:<{width}}  {line.amount:>12}" for line in block.lines]
        return "\n".join([*rows, f"{block.total.label:<{width}}  {block.total.amount:>12}"])
    return block


def _html(subject: str, heading: str, body: Sequence[_Block], footer: str) -> str:
    blocks = "\n".join(_html_block(block) for block in body)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(subject)}</title>
</head>
<body style="{_BODY_STYLE}">
<div role="article" aria-roledescription="email" aria-label="{escape(subject)}" lang="en">
<div style="{_CARD_STYLE}">
<p style="{_BRAND_STYLE}">{BRAND}</p>
<h1 style="{_HEADING_STYLE}">{escape(heading)}</h1>
{blocks}
</div>
<div style="{_FOOTER_STYLE}">
<p style="{_PARAGRAPH_STYLE}">{escape(footer)}</p>
<p style="{_PARAGRAPH_STYLE}">{escape(_AUTOMATED)}</p>
</div>
</div>
</body>
</html>
"""


def _html_block(block: _Block) -> str:
    if isinstance(block, _Tickets):
        return "\n".join(
            f'<p style="{_PARAGRAPH_STYLE}"><img src="cid:{escape(ticket.image_cid)}" '
            f'width="240" height="240" alt="QR code of ticket {escape(ticket.code)}"><br>'
            f"<strong>{escape(ticket.code)}</strong> {escape(ticket.ticket_type)}</p>"
            for ticket in block.entries
        )
    if isinstance(block, _Receipt):
        rows = "".join(
            f"<tr><td>{escape(line.label)}</td>"
            f'<td style="text-align:right">{escape(line.amount)}</td></tr>'
            for line in block.lines
        )
        total = (
            f'<tr><th style="text-align:left">{escape(block.total.label)}</th>'
            f'<th style="text-align:right">{escape(block.total.amount)}</th></tr>'
        )
        table_style = f"width:100%;{_PARAGRAPH_STYLE}"
        return f'<table role="presentation" style="{table_style}">{rows}{total}</table>'
    if isinstance(block, _Link):
        url = escape(block.url)
        # The URL is shown as text too, for clients that do not render the button.
        return (
            f'<p style="{_PARAGRAPH_STYLE}">'
            f'<a href="{url}" style="{_BUTTON_STYLE}">{escape(block.label)}</a></p>\n'
            f'<p style="{_SMALL_STYLE}">Or paste this link into your browser:<br>'
            f'<a href="{url}" style="{_URL_STYLE}">{url}</a></p>'
        )
    return f'<p style="{_PARAGRAPH_STYLE}">{escape(block)}</p>'


# -------------------------------------------------------------------- values
def _absolute(url: str) -> str:
    """``url`` if it is an absolute http(s) URL without whitespace; the error never quotes
    it, since it may carry a token."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("a link must be an absolute http(s) URL")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise ValueError("a link must not contain whitespace or control characters")
    return url


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _display_name(name: str) -> str:
    collapsed = " ".join(name.split())
    if len(collapsed) <= NAME_MAX_LENGTH:
        return collapsed
    return collapsed[: NAME_MAX_LENGTH - 1].rstrip() + "…"


def _duration(minutes: int) -> str:
    if minutes < 1:
        raise ValueError("a link must stay valid for at least a minute")
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
