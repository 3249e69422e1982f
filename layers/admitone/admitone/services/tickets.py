"""A holder's tickets: reading them, their QR images, handing one on to someone else.

A transfer is one transaction: the ticket moves to the recipient under its next
version's token (conditioned on the version and holder it was read with) and the
``ticket.transferred`` outbox item is written. The old QR then answers ``void`` online
at once and offline after the gate's next bundle sync (the version appears in its
void/reissued list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.cursor_keys import cursor_key
from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.signing_keys import load_keyset
from admitone.domain.accounts import Principal, normalize_email
from admitone.domain.catalog import Event
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import Conflict, Contention, NotFound
from admitone.domain.events import TicketTransferred
from admitone.domain.ids import Prefix, is_id
from admitone.domain.keys import KeyPurpose
from admitone.domain.nft import AwaitedMint, TicketMint, mint_standing
from admitone.domain.tickets import (
    Ticket,
    check_recipient,
    check_transferable,
    next_version_token,
    transferred,
)
from admitone.observability import logger
from admitone.ports import Ports
from admitone.ports.mints import Mints
from admitone.services import accounts_by_email


@dataclass(frozen=True)
class TicketPage:
    tickets: list[Ticket]
    next_cursor: str | None


def holder_tickets(caller: Principal, *, limit: int, cursor: str | None) -> TicketPage:
    """One page of the tickets the caller holds, newest first."""
    filters = fingerprint({"holder": caller.user_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    tickets, last_key = ticket_store.holder_page(caller.user_id, limit=limit, start_key=start)
    return TicketPage(
        tickets=tickets,
        next_cursor=encode_cursor(last_key, filters, cursor_key()) if last_key else None,
    )


def ticket_for(ticket_id: str, caller: Principal) -> Ticket:
    """The ticket, for its holder, its event's organizer or an admin (404 to anyone else)."""
    ticket = ticket_store.get_ticket(ticket_id) if is_id(ticket_id, Prefix.TICKET) else None
    if ticket is None:
        raise NotFound("No such ticket.")
    if caller.is_admin or ticket.holder_id == caller.user_id:
        return ticket
    event = catalog.get_event(ticket.event_id)
    if event is not None and caller.manages(event.owner_id):
        return ticket
    raise NotFound("No such ticket.")


@dataclass(frozen=True)
class TicketWithNft:
    ticket: Ticket
    # None: the ticket has no NFT (its event mints none, or it was void before its mint).
    nft: TicketMint | AwaitedMint | None


def ticket_with_nft(ticket_id: str, caller: Principal, mints: Mints) -> TicketWithNft:
    """The ticket (as ``ticket_for``) and how far minting its NFT has come."""
    ticket = ticket_for(ticket_id, caller)
    record = mints.get(ticket.id)
    # The event is read only while the worker has no record of the ticket yet.
    event = catalog.get_event(ticket.event_id) if record is None else None
    nft_enabled = event is not None and event.nft_enabled
    return TicketWithNft(ticket, mint_standing(ticket, record, nft_enabled=nft_enabled))


def held_ticket(ticket_id: str, caller: Principal) -> Ticket:
    """The ticket, for its holder only: what admits (the QR) is the holder's alone."""
    ticket = ticket_for(ticket_id, caller)
    if ticket.holder_id != caller.user_id:
        raise NotFound("No such ticket.")
    return ticket


def reissued_token(ticket: Ticket, event: Event) -> str:
    """The QR token of the ticket's next version."""
    return next_version_token(ticket, event.ends_at, load_keyset().signing_key(KeyPurpose.TICKET))


def transfer_ticket(
    ports: Ports,
    ticket_id: str,
    caller: Principal,
    *,
    email: str,
    name: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand the caller's ticket to the person with ``email`` (an account is made for a
    new address). The caller's QR stops admitting.

    One unit of work reissues the ticket under its next version (only while it is still
    as read: valid, the same version, holder and scans) and announces
    ``ticket.transferred``; a ticket changed meanwhile (``Conflict`` from the reissue)
    or a write racing it (``Contention``) is 409, nothing written."""
    now = now or datetime.now(UTC)
    store = ports.store
    ticket = store.tickets.get(ticket_id) if is_id(ticket_id, Prefix.TICKET) else None
    if ticket is None or ticket.holder_id != caller.user_id:
        raise NotFound("No such ticket.")  # what admits (the QR) is the holder's alone
    event = store.catalog.event(ticket.event_id)
    assert event is not None  # an event with tickets is never deleted
    recipient_email = normalize_email(email)
    check_transferable(
        ticket,
        recipient_email=recipient_email,
        holder_email=normalize_email(caller.email),
        event_ends_at=event.ends_at,
        now=now,
    )
    recipient = accounts_by_email.user_for_email(recipient_email, now=now, name=name)
    check_recipient(ticket, recipient.id)
    moved = transferred(
        ticket,
        to_user_id=recipient.id,
        email=recipient.email,
        name=name,
        token=reissued_token(ticket, event),
        now=now,
    )
    uow = store.unit_of_work()
    uow.tickets.reissue(ticket, moved)
    uow.outbox.announce("ticket.transferred", TicketTransferred.of(ticket, moved), now=now)
    try:
        uow.commit()
    except Contention:
        raise Conflict("The ticket changed meanwhile; look at it again.") from None
    logger.info("ticket transferred", extra={"ticket_id": ticket.id, "version": moved.version})
    return moved
