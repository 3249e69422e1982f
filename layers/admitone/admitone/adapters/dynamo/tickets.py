"""Tickets in the single table.

Item (``keys.ticket``): ``entity = ticket``, ``ticket_id``, ``code``, ``order_id``,
``event_id``, ``ticket_type_id``, ``holder_id``, ``status``, ``version``, ``token`` (the
signed QR payload of that version), ``issued_at``, ``changed_at``, ``attendee_name``,
``attendee_email``, ``scans`` and ``first_scan`` (a map: ``scan_id``, ``at``, ``gate``,
``device_id``). GSI1 ``HOLDER#<user>`` / ``TICKET#<issued at>#<id>`` (a holder's
tickets); GSI2 ``TICKET_CODE#<code>`` / ``TICKET`` (a ticket by its code); GSI3
``EVENT_TICKETS#<event>#<nn>`` / ``<changed at>#<id>`` (what changed since a scanner
bundle's cursor, in change order over every shard: every write that a gate must learn
of moves ``changed_at``, and the shard ``<nn>`` is taken in turn at each such write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import (
    Item,
    from_attributes,
    instant,
    put_op,
    update_op,
)
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.errors import Conflict
from admitone.domain.tickets import Scan, Ticket, TicketStatus
from admitone.ports.staging import Staged
from admitone.ports.tickets import TicketChanges, Tickets

ENTITY = "ticket"


def change_position_at(moment: datetime) -> str:
    """The GSI3 sort key of a change at ``moment`` (before any ticket id)."""
    return instant(moment)


def change_position(ticket: Ticket) -> str:
    return f"{instant(ticket.last_changed)}#{ticket.id}"


def _scan_map(scan: Scan) -> dict[str, Any]:
    return {
        "scan_id": scan.scan_id,
        "at": instant(scan.at),
        "gate": scan.gate,
        "device_id": scan.device_id,
    }


def to_item(ticket: Ticket) -> Item:
    issued = instant(ticket.issued_at)
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
        "changed_at": instant(ticket.last_changed),
        "attendee_email": ticket.attendee_email,
        "attendee_name": ticket.attendee_name,
        "scans": ticket.scans,
        "first_scan": _scan_map(ticket.first_scan) if ticket.first_scan else None,
        "GSI1PK": keys.tickets_of_holder(ticket.holder_id),
        "GSI1SK": f"TICKET#{issued}#{ticket.id}",
        "GSI2PK": keys.ticket_code(ticket.code),
        "GSI2SK": "TICKET",
        "GSI3PK": keys.tickets_of_event(ticket.event_id),
        "GSI3SK": change_position(ticket),
    }


def to_ticket(item: Mapping[str, Any]) -> Ticket:
    first = item.get("first_scan")
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
        attendee_name=item.get("attendee_name"),
        scans=int(item.get("scans", 0)),
        first_scan=Scan(
            scan_id=first["scan_id"],
            at=datetime.fromisoformat(first["at"]),
            gate=first.get("gate"),
            device_id=first["device_id"],
        )
        if first
        else None,
        changed_at=datetime.fromisoformat(item["changed_at"]) if item.get("changed_at") else None,
    )


def new_ticket_op(ticket: Ticket) -> dict[str, Any]:
    """A Put of a new ticket, to join the issuing transaction; fails if the id exists."""
    return put_op(to_item(ticket), condition="attribute_not_exists(PK)")


def reissue_op(before: Ticket, after: Ticket) -> dict[str, Any]:
    """A Put of ``after`` (a transfer, a naming) that holds only if the ticket is still
    exactly as ``before`` was read: same version, holder and scans, still valid."""
    return put_op(
        to_item(after),
        condition=(
            "version = :version AND holder_id = :holder AND #status = :valid"
            " AND (attribute_not_exists(scans) OR scans = :scans)"
        ),
        values={
            ":version": before.version,
            ":holder": before.holder_id,
            ":valid": TicketStatus.VALID.value,
            ":scans": before.scans,
        },
        names={"#status": "status"},
    )


def void_op(ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    """Void a valid ticket as read (``reissue_op``'s conditions: a scan or transfer in
    between fails it). It moves in the event's change order, so gates learn of it at
    their next bundle sync."""
    return reissue_op(ticket, replace(ticket, status=TicketStatus.VOID, changed_at=now))


def admit_op(ticket: Ticket, scan: Scan, *, max_scans: int, now: datetime) -> dict[str, Any]:
    """Count one admission, if the ticket is still valid, of the version judged, and has
    a scan left. The first admission is kept for the answers to later scans."""
    return update_op(
        keys.ticket(ticket.id),
        "SET scans = if_not_exists(scans, :zero) + :one,"
        " first_scan = if_not_exists(first_scan, :scan),"
        " changed_at = :changed, GSI3PK = :list, GSI3SK = :position",
        values={
            ":zero": 0,
            ":one": 1,
            ":scan": _scan_map(scan),
            ":changed": instant(now),
            ":list": keys.tickets_of_event(ticket.event_id),
            ":position": f"{instant(now)}#{ticket.id}",
            ":valid": TicketStatus.VALID.value,
            ":version": ticket.version,
            ":max": max_scans,
        },
        names={"#status": "status"},
        condition=(
            "#status = :valid AND version = :version"
            " AND (attribute_not_exists(scans) OR scans < :max)"
        ),
    )


def get_ticket(ticket_id: str) -> Ticket | None:
    item = table.get(keys.ticket(ticket_id), consistent=True)
    return to_ticket(item) if item else None


def holder_page(
    holder_id: str, *, limit: int, start_key: Mapping[str, str] | None
) -> tuple[list[Ticket], dict[str, str] | None]:
    """One page of the tickets a user holds, newest first."""
    items, resume = table.index_page(
        "GSI1",
        keys.tickets_of_holder(holder_id),
        limit=limit,
        start_key=start_key,
        sort_prefix="TICKET#",
        newest_first=True,
    )
    return [to_ticket(item) for item in items], resume


def changed_since(event_id: str, *, after: str, limit: int) -> tuple[list[Ticket], bool]:
    """The event's tickets changed after position ``after`` (oldest change first, at
    most ``limit``), and whether more follow."""
    items, more = table.first_of_sharded(
        "GSI3", keys.tickets_of_event_lists(event_id), limit=limit, sort_above=after or None
    )
    return [to_ticket(item) for item in items], more


def tickets_of_event(event_id: str) -> list[Ticket]:
    """Every ticket of the event (all pages of every shard of its change index)."""
    items = table.all_of_sharded("GSI3", keys.tickets_of_event_lists(event_id))
    return [to_ticket(item) for item in items]


def tickets_by_id(ticket_ids: Sequence[str]) -> list[Ticket]:
    """The tickets with these ids, in that order (missing ones left out)."""
    items = table.get_many([keys.ticket(ticket_id) for ticket_id in dict.fromkeys(ticket_ids)])
    found = {ticket.id: ticket for ticket in map(to_ticket, items)}
    return [found[ticket_id] for ticket_id in ticket_ids if ticket_id in found]


class DynamoTickets(Tickets):
    def get(self, ticket_id: str) -> Ticket | None:
        return get_ticket(ticket_id)

    def by_ids(self, ticket_ids: Sequence[str]) -> list[Ticket]:
        return tickets_by_id(ticket_ids)


class DynamoTicketChanges(TicketChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def issue(self, ticket: Ticket) -> Staged[Ticket]:
        name = f"ticket {ticket.id}"
        self._transaction.stage(
            name, new_ticket_op(ticket), decode=lambda raw: to_ticket(from_attributes(raw))
        )
        return Staged(name)

    def void(self, ticket: Ticket, *, now: datetime) -> None:
        self._transaction.stage(
            f"ticket {ticket.id}",
            reissue_op(ticket, replace(ticket, status=TicketStatus.VOID, changed_at=now)),
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )

    def reissue(self, before: Ticket, after: Ticket) -> None:
        self._transaction.stage(
            f"ticket {before.id}",
            reissue_op(before, after),
            error=Conflict("The ticket changed meanwhile; look at it again."),
        )
