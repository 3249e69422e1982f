"""Check-in at the gates: online scans, offline uploads, scanner bundles, live counts.

Every decision is ``domain.checkin.judge``: the server builds the ``Gate`` a device
would have, from the live ticket, and asks the same question. An admission is then ONE
transaction: the ticket's scan count goes up only if it is still valid, still the
version that was judged and still has scans left, together with its scan-log item and
``ticket.checked_in`` outbox item. Two gates scanning one ticket at the same moment
both pass the judgement; exactly one transaction wins, and the loser is judged again on
the ticket as the winner left it (``already_used``, with the first scan).

Offline scans are decided by the device; on upload each is replayed through the same
judgement at its ``scanned_at``. One that another gate beat is a ``conflict``: it is
logged beside the winner so that both show in the scan log. Uploads are idempotent per
(device, nonce).

Every entry point takes the ``Device`` that ``gate_access.authenticate_device`` found:
the device is authenticated before anything about the event is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.cursor_keys import cursor_key
from admitone.adapters.dynamo import catalog, table
from admitone.adapters.dynamo import scans as scan_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.adapters.dynamo.scans import ScanEntry
from admitone.adapters.dynamo.table import instant
from admitone.adapters.signing_keys import load_keyset
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Event, EventStatus, TicketType
from admitone.domain.checkin import (
    Gate,
    GateTicketType,
    Judgement,
    ScanResult,
    VoidReason,
    checkin_opens_at,
    judge,
    seal,
)
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import DependencyUnavailable, FieldError, NotFound, ValidationFailed
from admitone.domain.gate_access import Device, DeviceTokenInvalid, StaffRole
from admitone.domain.ids import Prefix, new_id
from admitone.domain.tickets import Scan, Ticket, TicketStatus
from admitone.observability import logger
from admitone.services.gate_access import require_gate_role

MAX_ATTEMPTS = 5
MAX_OFFLINE_BATCH = 500
CLOCK_SKEW = timedelta(minutes=5)
BUNDLE_PAGE = 1000
# Index entries can land a moment after the write: a bundle cursor never passes the
# last minute, so the next sync sends that minute again (entries merge idempotently).
BUNDLE_OVERLAP = timedelta(minutes=1)
_TRANSIENT = frozenset({"TransactionConflictException", "TransactionCanceledException"})
# What became of an uploaded offline scan.
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
CONFLICT = "conflict"  # the device admitted a ticket another gate had admitted first
REJECTED = "rejected"  # the token or ticket would not have admitted anyone


@dataclass(frozen=True)
class ScanOutcome:
    result: ScanResult
    ticket: Ticket | None = None
    ticket_type: GateTicketType | None = None
    scans_left: int | None = None
    first_scan: Scan | None = None
    first_scan_device: str | None = None
    void_reason: VoidReason | None = None


@dataclass(frozen=True)
class OfflineScan:
    nonce: str
    token: str
    scanned_at: datetime
    gate: str | None = None


@dataclass(frozen=True)
class OfflineOutcome:
    nonce: str
    status: str  # ACCEPTED | DUPLICATE | CONFLICT | REJECTED
    result: str | None = None  # the judgement (for a duplicate: the one logged first)
    scan: Scan | None = None
    first_scan: Scan | None = None
    void_reason: VoidReason | None = None


@dataclass(frozen=True)
class GateContext:
    event: Event
    ticket_types: Mapping[str, TicketType]
    device: Device
    staff_id: str | None
    # The event's gate without a void/reissued list, built once per request.
    base_gate: Gate

    def gate(self, revocations: Mapping[str, int | None] | None = None) -> Gate:
        return replace(self.base_gate, revocations=revocations or {})


def _context(event_id: str, device: Device, caller: Principal | None) -> GateContext:
    partition = catalog.event_partition(event_id)
    if partition.event is None:
        raise NotFound("No such event.")
    event = partition.event
    if device.venue_id != event.venue_id:
        raise DeviceTokenInvalid("This device is not paired with the event's venue.")
    if caller is not None:
        require_gate_role(event.venue_id, caller, StaffRole.SCANNER, StaffRole.SUPERVISOR)
    return GateContext(
        event=event,
        ticket_types=partition.ticket_types,
        device=device,
        staff_id=caller.user_id if caller else None,
        base_gate=Gate(
            event_id=event.id,
            checkin_opens_at=checkin_opens_at(event.starts_at),
            keys=load_keyset().public_keys(),
            ticket_types=tuple(
                GateTicketType(t.id, t.name, t.max_scans) for t in partition.ticket_types.values()
            ),
            revocations={},
            # A cancelled event admits nobody, whatever its tickets say.
            event_cancelled=event.status is EventStatus.CANCELLED,
        ),
    )


def _revocations(ticket: Ticket) -> dict[str, int | None]:
    return {ticket.id: None if ticket.status is TicketStatus.VOID else ticket.version}


def _judge_ticket(
    context: GateContext, token: str, at: datetime
) -> tuple[Judgement, Ticket | None]:
    """The judgement on ``token`` given its ticket as stored now."""
    first = judge(context.gate(), token, now=at, scans_used=0)
    if first.ticket is None:
        return first, None
    ticket = ticket_store.get_ticket(first.ticket.ticket_id)
    if ticket is None or ticket.event_id != context.event.id:
        return Judgement(ScanResult.INVALID), None
    return judge(context.gate(_revocations(ticket)), token, now=at, scans_used=ticket.scans), ticket


def _entry(
    context: GateContext,
    ticket: Ticket | None,
    *,
    result: str,
    scan_id: str,
    at: datetime,
    gate: str | None,
    offline: bool,
    conflict_with: str | None = None,
) -> ScanEntry:
    return ScanEntry(
        scan_id=scan_id,
        event_id=context.event.id,
        result=result,
        scanned_at=at,
        device_id=context.device.id,
        gate=gate,
        staff_id=context.staff_id,
        ticket_id=ticket.id if ticket else None,
        ticket_type_id=ticket.ticket_type_id if ticket else None,
        code=ticket.code if ticket else None,
        offline=offline,
        conflict_with=conflict_with,
    )


def _admit(ticket: Ticket, judgement: Judgement, entry: ScanEntry, now: datetime) -> bool:
    """Record the admission; False when the ticket (or the scan id) changed since it was
    read, for the caller to look again."""
    assert judgement.ticket_type is not None
    scan = Scan(
        scan_id=entry.scan_id, at=entry.scanned_at, gate=entry.gate, device_id=entry.device_id
    )
    try:
        table.transact(
            [
                ticket_store.admit_op(
                    ticket, scan, max_scans=judgement.ticket_type.max_scans, now=now
                ),
                scan_store.new_scan_op(entry, recorded_at=now),
                outbox_op(
                    "ticket.checked_in",
                    {
                        "ticket_id": ticket.id,
                        "event_id": ticket.event_id,
                        "ticket_type_id": ticket.ticket_type_id,
                        "scan_id": entry.scan_id,
                        "gate": entry.gate,
                        "device_id": entry.device_id,
                        "scanned_at": instant(entry.scanned_at),
                        "offline": entry.offline,
                    },
                    now=now,
                ),
            ]
        )
    except table.TransactionCancelled:
        return False
    except ClientError as error:
        # Another gate's transaction on the same ticket at the same moment.
        if error.response["Error"]["Code"] in _TRANSIENT:
            return False
        raise
    return True


# -------------------------------------------------------------------- online
def scan_ticket(
    event_id: str,
    token: str,
    *,
    caller: Principal,
    device: Device,
    gate: str | None = None,
    now: datetime | None = None,
) -> ScanOutcome:
    """Scan at a gate now: admit the ticket once, or say why not."""
    context = _context(event_id, device, caller)
    for _ in range(MAX_ATTEMPTS):
        at = now or datetime.now(UTC)
        judgement, ticket = _judge_ticket(context, token, at)
        scan_id = new_id(Prefix.SCAN, now=at)
        entry = _entry(
            context,
            ticket,
            result=judgement.result.value,
            scan_id=scan_id,
            at=at,
            gate=gate,
            offline=False,
        )
        if not judgement.admits:
            scan_store.log_scan(entry, recorded_at=at)
            logger.info("scan refused", extra={"result": judgement.result.value})
            first = ticket.first_scan if ticket else None
            return ScanOutcome(
                judgement.result,
                ticket,
                judgement.ticket_type,
                judgement.scans_left,
                first,
                void_reason=judgement.void_reason,
            )
        assert ticket is not None
        if _admit(ticket, judgement, entry, at):
            first = ticket.first_scan or Scan(scan_id, at, gate, context.device.id)
            return ScanOutcome(
                judgement.result, ticket, judgement.ticket_type, judgement.scans_left, first
            )
        # Judged on a ticket another gate has just changed: judge it again.
    raise DependencyUnavailable("The ticket kept changing; scan again.")


# ------------------------------------------------------------------- offline
def upload_offline_scans(
    event_id: str,
    scans: Sequence[OfflineScan],
    *,
    device: Device,
    now: datetime | None = None,
) -> list[OfflineOutcome]:
    """Record what a device decided offline, scan by scan (idempotent per nonce)."""
    now = now or datetime.now(UTC)
    _check_offline_batch(scans, now)
    context = _context(event_id, device, None)
    return [_upload_one(context, scan, now) for scan in scans]


def _check_offline_batch(scans: Sequence[OfflineScan], now: datetime) -> None:
    errors = tuple(
        FieldError(f"scans[{i}].scanned_at", "is in the future", "SCANNED_IN_FUTURE")
        for i, scan in enumerate(scans)
        if scan.scanned_at > now + CLOCK_SKEW
    )
    if errors:
        raise ValidationFailed(
            "Some scans are dated in the future; check the device clock.", errors=errors
        )


def _upload_one(context: GateContext, upload: OfflineScan, now: datetime) -> OfflineOutcome:
    """One offline scan judged again at its ``scanned_at``: the admission it made is
    recorded, or logged as a conflict beside the admission that beat it, or rejected."""
    scan_id = scan_store.offline_scan_id(context.device.id, upload.nonce)
    this_scan = Scan(scan_id, upload.scanned_at, upload.gate, context.device.id)
    for _ in range(MAX_ATTEMPTS):
        logged = scan_store.scan(context.event.id, scan_id)
        if logged is not None:
            return OfflineOutcome(upload.nonce, DUPLICATE, logged.result)
        judgement, ticket = _judge_ticket(context, upload.token, upload.scanned_at)
        beaten = judgement.result is ScanResult.ALREADY_USED
        first = ticket.first_scan if ticket and beaten else None
        entry = _entry(
            context,
            ticket,
            result=CONFLICT if beaten else judgement.result.value,
            scan_id=scan_id,
            at=upload.scanned_at,
            gate=upload.gate,
            offline=True,
            conflict_with=first.scan_id if first else None,
        )
        if judgement.admits:
            assert ticket is not None
            if _admit(ticket, judgement, entry, now):
                return OfflineOutcome(upload.nonce, ACCEPTED, judgement.result.value, this_scan)
        elif scan_store.log_scan(entry, recorded_at=now):
            if beaten:
                logger.warning("offline admission lost to another gate", extra={"scan_id": scan_id})
            status = CONFLICT if beaten else REJECTED
            return OfflineOutcome(
                upload.nonce,
                status,
                judgement.result.value,
                this_scan,
                first,
                void_reason=judgement.void_reason,
            )
        # The ticket changed, or this very upload is running twice: look again.
    raise DependencyUnavailable("The ticket kept changing; upload again.")


# -------------------------------------------------------------------- bundle
def scanner_bundle(
    event_id: str, *, device: Device, since: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """What a device needs to judge scans offline, and the ticket changes since ``since``."""
    now = now or datetime.now(UTC)
    context = _context(event_id, device, None)
    filters = fingerprint({"bundle": event_id})
    after = decode_cursor(since, filters, cursor_key())["after"] if since else ""
    tickets, more = ticket_store.changed_since(event_id, after=after, limit=BUNDLE_PAGE)
    last = ticket_store.change_position(tickets[-1]) if tickets else after
    if tickets and not more:
        last = min(last, ticket_store.change_position_at(now - BUNDLE_OVERLAP))
    event = context.event
    types = context.ticket_types.values()
    return {
        "event": {
            "id": event.id,
            "title": event.title,
            "status": event.status.value,
            "venue_id": event.venue_id,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "timezone": event.timezone,
            "checkin_opens_at": checkin_opens_at(event.starts_at),
        },
        "keys": load_keyset().public_jwks(),
        "ticket_types": [{"id": t.id, "name": t.name, "max_scans": t.max_scans} for t in types],
        "tickets": [_bundle_entry(t, context.ticket_types) for t in tickets],
        "revocations": [
            {"ticket_id": t.id, "version": None if t.status is TicketStatus.VOID else t.version}
            for t in tickets
            if t.status is TicketStatus.VOID or t.version > 1
        ],
        "cursor": encode_cursor({"after": last}, filters, cursor_key()),
        "complete": not more,
        "generated_at": now,
    }


def _bundle_entry(ticket: Ticket, types: Mapping[str, TicketType]) -> dict[str, Any]:
    ticket_type = types.get(ticket.ticket_type_id)
    return {
        "ticket_id": ticket.id,
        "version": ticket.version,
        "status": ticket.status.value,
        "scans": ticket.scans,
        "attendee": seal(
            ticket.token,
            {
                "code": ticket.code,
                "attendee_name": ticket.attendee_name,
                "ticket_type": ticket_type.name if ticket_type else None,
            },
        ),
    }


# ------------------------------------------------------------------ checkins
@dataclass(frozen=True)
class TypeCheckins:
    name: str | None
    admitted: int  # admissions (a re-entry counts again)
    tickets_in: int  # distinct tickets admitted at least once


@dataclass(frozen=True)
class Checkins:
    event: Event
    by_ticket_type: dict[str, TypeCheckins]
    by_gate: dict[str, int]
    admitted: int
    conflicts: int
    refused: int
    log: list[ScanEntry]
    next_cursor: str | None


def checkins(event_id: str, caller: Principal, *, limit: int, cursor: str | None) -> Checkins:
    """Live counts per ticket type and gate, and the newest page of the scan log."""
    partition = catalog.event_partition(event_id)
    if partition.event is None:
        raise NotFound("No such event.")
    require_gate_role(partition.event.venue_id, caller, StaffRole.SUPERVISOR)
    entries = scan_store.scan_log(event_id)
    admitted = [e for e in entries if e.result == ScanResult.ADMITTED]
    names = {t.id: t.name for t in partition.ticket_types.values()}
    by_type = {
        type_id: TypeCheckins(
            name=names.get(type_id),
            admitted=sum(1 for e in admitted if e.ticket_type_id == type_id),
            tickets_in=len({e.ticket_id for e in admitted if e.ticket_type_id == type_id}),
        )
        for type_id in names.keys() | {e.ticket_type_id or "" for e in admitted}
    }
    results = Counter(e.result for e in entries)
    filters = fingerprint({"checkins": event_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    page, last_key = scan_store.scan_log_page(event_id, limit=limit, start_key=start)
    return Checkins(
        event=partition.event,
        by_ticket_type=by_type,
        by_gate=dict(Counter(e.gate or "" for e in admitted)),
        admitted=len(admitted),
        conflicts=results[CONFLICT],
        refused=len(entries) - len(admitted) - results[CONFLICT],
        log=page,
        next_cursor=encode_cursor(last_key, filters, cursor_key()) if last_key else None,
    )
