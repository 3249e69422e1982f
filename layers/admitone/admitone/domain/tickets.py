"""Tickets: one admission each (or ``max_scans``), issued when its order is paid.

A ticket carries a human code (``TKT-`` + 12 characters) and a signed QR token whose
``version`` is the ticket's. A transfer, or renaming an attendee who was already sent
the ticket, re-issues the token with the next version: every QR printed before it
answers ``void`` at the gate (domain/checkin.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from admitone.domain.accounts import canonical_email
from admitone.domain.errors import Conflict, FieldError, Gone, ValidationFailed
from admitone.domain.keys import SigningKey
from admitone.domain.tokens import (
    MAX_TICKET_VERSION,
    TicketClaims,
    issue_ticket_token,
    ticket_token_expiry,
)

ATTENDEE_NAME_MAX_LENGTH = 120


class TicketStatus(StrEnum):
    VALID = "valid"
    VOID = "void"  # refunded, or its event cancelled: never admits again


@dataclass(frozen=True)
class Scan:
    """One admission of a ticket at a gate."""

    scan_id: str
    at: datetime
    gate: str | None
    device_id: str


@dataclass(frozen=True)
class Ticket:
    id: str
    code: str
    order_id: str
    event_id: str
    ticket_type_id: str
    holder_id: str
    token: str
    issued_at: datetime
    status: TicketStatus = TicketStatus.VALID
    version: int = 1
    attendee_email: str | None = None
    attendee_name: str | None = None
    scans: int = 0
    first_scan: Scan | None = None
    # Moves with every change a gate must learn of (bundle deltas are ordered by it).
    changed_at: datetime | None = None

    @property
    def last_changed(self) -> datetime:
        return self.changed_at or self.issued_at

    @property
    def used(self) -> bool:
        """Admitted at a gate at least once: its holder was let in on it."""
        return self.scans > 0


class QrWithheld(StrEnum):
    """Why an e-mail leaves a ticket's QR out."""

    TRANSFERRED = "transferred"  # another account holds the ticket now
    REASSIGNED = "reassigned"  # its holder named someone else to attend on it
    VOID = "void"  # refunded, or its event cancelled


def qr_withheld(
    ticket: Ticket, addressee: str, *, holder_email: str | None, mailed_holder_id: str
) -> QrWithheld | None:
    """Why ``addressee`` must not be mailed the QR of ``ticket`` as it is now, or None
    when they may.

    A QR admits once, so it goes only to whom the ticket's current version is for: its
    holder (``holder_email``, the address of the account ``ticket.holder_id``) or the
    attendee named on it, and only while it is valid. A mail is composed long after
    the event that calls for it, so this is asked of the ticket as read for the mail,
    and the mail renders that same read. ``mailed_holder_id`` is the holder the mail
    speaks for (the buyer for a confirmation, the recipient for a transfer): when
    another account holds the ticket, it was transferred.
    """
    if ticket.status is TicketStatus.VOID:
        return QrWithheld.VOID
    to = canonical_email(addressee)
    if holder_email is not None and canonical_email(holder_email) == to:
        return None
    if ticket.holder_id != mailed_holder_id:
        return QrWithheld.TRANSFERRED
    if ticket.attendee_email is None or canonical_email(ticket.attendee_email) != to:
        return QrWithheld.REASSIGNED
    return None


class TicketNotTransferable(Conflict):
    code = "TICKET_NOT_TRANSFERABLE"
    title = "The ticket cannot be transferred"


class RegistrationClosed(Gone):
    code = "REGISTRATION_CLOSED"
    title = "Registration is closed"


def check_transferable(
    ticket: Ticket,
    *,
    recipient_email: str,
    holder_email: str,
    event_ends_at: datetime,
    now: datetime,
) -> None:
    """A holder may hand on a valid, unused ticket to someone else until the event ends
    (both addresses normalized)."""
    if ticket.status is not TicketStatus.VALID:
        raise TicketNotTransferable("The ticket is void.")
    if ticket.scans:
        raise TicketNotTransferable("The ticket has already been used at the gate.")
    if now >= event_ends_at:
        raise TicketNotTransferable("The event is over.")
    if ticket.version >= MAX_TICKET_VERSION:
        raise TicketNotTransferable("The ticket has been reissued too many times.")
    if recipient_email == holder_email:
        raise _same_holder()


def check_recipient(ticket: Ticket, recipient_id: str) -> None:
    """The account the address belongs to must be someone else's."""
    if recipient_id == ticket.holder_id:
        raise _same_holder()


def _same_holder() -> ValidationFailed:
    return ValidationFailed(
        "The ticket is already yours.",
        errors=(FieldError("email", "must be someone else's address", "SAME_HOLDER"),),
    )


def transferred(
    ticket: Ticket, *, to_user_id: str, email: str, name: str | None, token: str, now: datetime
) -> Ticket:
    """The ticket in its new holder's hands, under its next version's token."""
    return replace(
        ticket,
        holder_id=to_user_id,
        version=ticket.version + 1,
        token=token,
        attendee_email=email,
        attendee_name=name,
        changed_at=now,
    )


def check_registration_open(deadline: datetime, now: datetime) -> None:
    if now >= deadline:
        raise RegistrationClosed("The registration deadline has passed.")


def renaming_reissues(ticket: Ticket, email: str) -> bool:
    """A ticket already named for someone else was sent to them: naming another person
    must void the QR they hold."""
    return ticket.attendee_email is not None and ticket.attendee_email != email


def named(ticket: Ticket, *, name: str, email: str, token: str | None, now: datetime) -> Ticket:
    """The ticket with its attendee named; ``token`` is its next version's when the
    change re-issues it (``renaming_reissues``)."""
    return replace(
        ticket,
        attendee_name=name,
        attendee_email=email,
        version=ticket.version + 1 if token else ticket.version,
        token=token or ticket.token,
        changed_at=now,
    )


def next_version_token(ticket: Ticket, event_ends_at: datetime, key: SigningKey) -> str:
    """The QR token of ``ticket``'s next version (a transfer's, a renaming's, a resale's):
    it supersedes every earlier one at the gates."""
    claims = TicketClaims(
        ticket_id=ticket.id,
        event_id=ticket.event_id,
        ticket_type_id=ticket.ticket_type_id,
        version=ticket.version + 1,
        expires_at=ticket_token_expiry(event_ends_at),
    )
    return issue_ticket_token(claims, key)
