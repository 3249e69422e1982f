"""Tickets: one admission each, issued when its order is paid (RULES §4, §15).

A ticket carries a human code (``TKT-`` + 12 characters) and a signed QR token whose
``version`` is the ticket's: a transfer or re-issue bumps the version, which revokes the
tokens printed before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TicketStatus(StrEnum):
    VALID = "valid"
    VOID = "void"  # refunded or cancelled: never admits
    CHECKED_IN = "checked_in"


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
