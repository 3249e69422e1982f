"""Tickets in the single table.

Item (``keys.ticket``): ``entity = ticket``, ``ticket_id``, ``code``, ``order_id``,
``event_id``, ``ticket_type_id``, ``holder_id``, ``status``, ``version``, ``token`` (the
signed QR payload), ``issued_at``. GSI1 ``HOLDER#<user>`` / ``TICKET#<issued at>#<id>``
(a holder's tickets); GSI2 ``TICKET_CODE#<code>`` / ``TICKET`` (a ticket by its code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import Item, from_attributes, put_op, to_attributes
from admitone.config import settings
from admitone.domain.tickets import Ticket, TicketStatus

ENTITY = "ticket"
_BATCH_GET_LIMIT = 100


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_item(ticket: Ticket) -> Item:
    issued = _iso(ticket.issued_at)
    return {
        **keys.ticket(ticket.id),
        "entity": ENTITY,
        "ticket_id": ticket.id,
        "code": ticket.code,
        "order_id": ticket.order_id,
        "event_id": ticket.event_id,
        "ticket_type_id": ticket.ticket_type_id,
        "holder_id": ticket.holder_id,
        "status": ticket.status.value,
        "version": ticket.version,
        "token": ticket.token,
        "issued_at": issued,
        "attendee_email": ticket.attendee_email,
        "GSI1PK": keys.tickets_of_holder(ticket.holder_id),
        "GSI1SK": f"TICKET#{issued}#{ticket.id}",
        "GSI2PK": keys.ticket_code(ticket.code),
        "GSI2SK": "TICKET",
    }


def to_ticket(item: Mapping[str, Any]) -> Ticket:
    return Ticket(
        id=item["ticket_id"],
        code=item["code"],
        order_id=item["order_id"],
        event_id=item["event_id"],
        ticket_type_id=item["ticket_type_id"],
        holder_id=item["holder_id"],
        token=item["token"],
        issued_at=datetime.fromisoformat(item["issued_at"]),
        status=TicketStatus(item["status"]),
        version=item["version"],
        attendee_email=item.get("attendee_email"),
    )


def new_ticket_op(ticket: Ticket) -> dict[str, Any]:
    """A Put of a new ticket, to join the issuing transaction; fails if the id exists."""
    return put_op(to_item(ticket), condition="attribute_not_exists(PK)")


def tickets_by_id(ticket_ids: Sequence[str]) -> list[Ticket]:
    """The tickets with these ids, in that order (missing ones left out)."""
    found: dict[str, Ticket] = {}
    pending = [to_attributes(keys.ticket(ticket_id)) for ticket_id in dict.fromkeys(ticket_ids)]
    table_name = settings().table_name
    while pending:
        batch, pending = pending[:_BATCH_GET_LIMIT], pending[_BATCH_GET_LIMIT:]
        request: dict[str, Any] = {table_name: {"Keys": batch, "ConsistentRead": True}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(table_name, []):
                ticket = to_ticket(from_attributes(raw))
                found[ticket.id] = ticket
            request = response.get("UnprocessedKeys") or {}
    return [found[ticket_id] for ticket_id in ticket_ids if ticket_id in found]
