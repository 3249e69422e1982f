"""Naming attendees through the purchaser's registration link (SPEC §5, RULES §15).

The link carries a registration token (a JWT whose subject is the order) that lives
until the event ends; the deadline itself is the event's, read on every request, so
an organizer who moves it moves it for every link.

An order has one live link at a time (issue 16). Its ``jti`` names the order and the
link's version (adapters/dynamo/registration_links.py); the first version stands from
payment, and the buyer may replace it (``reissue_registration_link``), which revokes the
one before: a token whose ``jti`` is not the live version's is refused. Sending or
showing the link never mints another: it is re-signed from (order, version, issued at,
event end), and an Ed25519 signature of the same bytes is the same, so the same link
comes out every time. The e-mailed invite goes only to the attendee the buyer named at
checkout or to the buyer's address once verified (``invite_recipient``).

Before the deadline the purchaser names an attendee per ticket; all names of one
request land in one transaction with a ``ticket.attendee_named`` outbox item per ticket
that changed. Naming the same
people again changes nothing. Renaming a ticket whose attendee was already named (and
sent it) re-issues its QR, so the first person's copy stops admitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.dynamo import accounts, catalog, table
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import registration_links as link_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.accounts import Principal, normalize_email
from admitone.domain.catalog import Event
from admitone.domain.errors import Conflict, FieldError, Gone, InvalidToken, NotFound
from admitone.domain.ids import Prefix, is_id
from admitone.domain.jwt_tokens import IssuedJwt, RegistrationClaims, issue_jwt, verify_jwt
from admitone.domain.orders import Order, OrderStatus
from admitone.domain.tickets import Ticket, check_registration_open, named, renaming_reissues
from admitone.domain.tokens import TokenRejection
from admitone.observability import logger
from admitone.services.tickets import reissued_token


@dataclass(frozen=True)
class AttendeeEntry:
    ticket_id: str
    attendee_name: str
    attendee_email: str


@dataclass(frozen=True)
class Registration:
    order: Order
    event: Event
    tickets: list[Ticket]
    now: datetime

    @property
    def is_open(self) -> bool:
        return self.now < self.event.registration_deadline


@dataclass(frozen=True)
class RegistrationLink:
    token: str
    deadline: datetime


def link_token_id(order_id: str, version: int) -> str:
    """The ``jti`` of version ``version`` of the order's link: bound to the order."""
    return f"{order_id}.{version}"


def _live(order: Order) -> link_store.LinkVersion:
    stored = link_store.live_version(order.id)
    if stored is not None:
        return stored
    return link_store.LinkVersion(link_store.FIRST_VERSION, order.paid_at or order.created_at)


def _signed(order: Order, event: Event, live: link_store.LinkVersion) -> IssuedJwt:
    return issue_jwt(
        RegistrationClaims(sub=order.id),
        keys=load_keyset(),
        issuer=settings().jwt_issuer,
        now=live.issued_at,
        expires_at=event.ends_at,
        token_id=link_token_id(order.id, live.version),
    )


def registration_token(order: Order, event: Event, *, now: datetime) -> IssuedJwt | None:
    """The live link's token for a paid order, while its event has not ended (the same
    token each time: nothing new is minted)."""
    if order.status is not OrderStatus.PAID or now >= event.ends_at:
        return None
    return _signed(order, event, _live(order))


def buyer_registration_link(
    order: Order, caller: Principal, *, now: datetime
) -> RegistrationLink | None:
    """The link for the order's buyer (nobody else names its attendees)."""
    if caller.user_id != order.buyer_id or order.status is not OrderStatus.PAID:
        return None
    event = catalog.get_event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    issued = registration_token(order, event, now=now)
    return RegistrationLink(issued.token, event.registration_deadline) if issued else None


def reissue_registration_link(
    order_id: str, caller: Principal, *, now: datetime | None = None
) -> RegistrationLink:
    """A new link for the buyer's paid order; every earlier link of it stops working."""
    now = now or datetime.now(UTC)
    order = order_store.get_order(order_id) if is_id(order_id, Prefix.ORDER) else None
    if order is None or order.buyer_id != caller.user_id:
        raise NotFound("No such order.")
    if order.status is not OrderStatus.PAID:
        raise Conflict(f"An order that is {order.status.value} has no registration link.")
    event = catalog.get_event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    if now >= event.ends_at:
        raise Gone("The event is over; so is its registration link.")
    live = link_store.replace_link(order.id, now=now)
    logger.info("registration link replaced", extra={"order_id": order.id, "version": live.version})
    return RegistrationLink(_signed(order, event, live).token, event.registration_deadline)


def invite_recipient(order: Order) -> str | None:
    """Where the link may be e-mailed: the attendee the buyer named at checkout, else the
    buyer's own address once verified (the link names attendees, who are then sent the
    tickets: an address nobody proved is not trusted with it)."""
    if order.attendee_email:
        return order.attendee_email
    buyer = accounts.user_by_id(order.buyer_id)
    return buyer.email if buyer and buyer.email_verified else None


def registration(token: str, *, now: datetime | None = None) -> Registration:
    """What the link shows: the order's tickets still held by its purchaser."""
    now = now or datetime.now(UTC)
    verified = verify_jwt(
        token, RegistrationClaims, keys=load_keyset(), issuer=settings().jwt_issuer, now=now
    )
    order = order_store.get_order(verified.claims.sub)
    if order is None or order.status is not OrderStatus.PAID:
        raise NotFound("No such order.")
    if verified.token_id != link_token_id(order.id, _live(order).version):
        raise InvalidToken(TokenRejection.REVOKED, "This link was replaced by a newer one.")
    event = catalog.get_event(order.event_id)
    assert event is not None  # an event with orders is never deleted
    tickets = [
        t for t in ticket_store.tickets_by_id(order.ticket_ids) if t.holder_id == order.buyer_id
    ]
    return Registration(order=order, event=event, tickets=tickets, now=now)


def name_attendees(
    token: str, entries: Sequence[AttendeeEntry], *, now: datetime | None = None
) -> Registration:
    """Name the attendees of ``entries``' tickets (each of them the link's order's)."""
    current = registration(token, now=now)
    check_registration_open(current.event.registration_deadline, current.now)
    by_id = {t.id: t for t in current.tickets}
    unknown = tuple(
        FieldError(f"tickets[{i}].ticket_id", "not a ticket of this order", "TICKET_NOT_FOUND")
        for i, entry in enumerate(entries)
        if entry.ticket_id not in by_id
    )
    if unknown:
        raise NotFound("No such ticket in this order.", errors=unknown)
    operations = []
    renamed: dict[str, Ticket] = {}
    for entry in entries:
        before = renamed.get(entry.ticket_id, by_id[entry.ticket_id])
        email = normalize_email(entry.attendee_email, field_name="attendee_email")
        name = entry.attendee_name.strip()
        if (before.attendee_name, before.attendee_email) == (name, email):
            continue
        token_after = (
            reissued_token(before, current.event) if renaming_reissues(before, email) else None
        )
        renamed[entry.ticket_id] = named(
            before, name=name, email=email, token=token_after, now=current.now
        )
    for ticket_id, after in renamed.items():
        operations += [
            ticket_store.reissue_op(by_id[ticket_id], after),
            outbox_op(
                "ticket.attendee_named",
                {
                    "ticket_id": ticket_id,
                    "order_id": current.order.id,
                    "event_id": current.order.event_id,
                    "version": after.version,
                },
                now=current.now,
            ),
        ]
    if operations:
        try:
            table.transact(operations)
        except table.TransactionCancelled:
            raise Conflict("A ticket changed meanwhile; open the link again.") from None
        logger.info(
            "attendees named", extra={"order_id": current.order.id, "tickets": len(renamed)}
        )
    return Registration(
        order=current.order,
        event=current.event,
        tickets=[renamed.get(t.id, t) for t in current.tickets],
        now=current.now,
    )
