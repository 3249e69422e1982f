"""The scan log: one item per scan a gate reported, admitted or refused.

Item (``keys.scan``): ``entity = scan``, ``scan_id``, ``event_id``, ``result``,
``ticket_id``, ``ticket_type_id``, ``code`` (when the token named a ticket), ``gate``,
``device_id``, ``staff_id``, ``scanned_at``, ``recorded_at``, ``offline``, ``nonce``
and, for an offline admission that lost, ``conflict_with`` (the scan that won). GSI1
``SCANLOG#<event>#<nn>`` / ``<scanned at>#<scan id>``: an event's log, spread over 32
shards taken in turn so that a door rush does not write one partition, read in time
order over every shard.

An online scan is keyed by its fresh id; an offline one by device and nonce, so an
upload repeated after a lost answer finds its scans already there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, instant, put_op


@dataclass(frozen=True)
class ScanEntry:
    scan_id: str
    event_id: str
    result: str
    scanned_at: datetime
    device_id: str
    gate: str | None = None
    staff_id: str | None = None
    ticket_id: str | None = None
    ticket_type_id: str | None = None
    code: str | None = None
    offline: bool = False
    conflict_with: str | None = None


def offline_scan_id(device_id: str, nonce: str) -> str:
    return f"{device_id}:{nonce}"


def _item(entry: ScanEntry, recorded_at: datetime) -> Item:
    return {
        **keys.scan(entry.event_id, entry.scan_id),
        "entity": "scan",
        "scan_id": entry.scan_id,
        "event_id": entry.event_id,
        "result": entry.result,
        "ticket_id": entry.ticket_id,
        "ticket_type_id": entry.ticket_type_id,
        "code": entry.code,
        "gate": entry.gate,
        "device_id": entry.device_id,
        "staff_id": entry.staff_id,
        "scanned_at": instant(entry.scanned_at),
        "recorded_at": instant(recorded_at),
        "offline": entry.offline,
        "conflict_with": entry.conflict_with,
        "GSI1PK": keys.scan_log(entry.event_id),
        "GSI1SK": f"{instant(entry.scanned_at)}#{entry.scan_id}",
    }


def to_entry(item: Mapping[str, Any]) -> ScanEntry:
    return ScanEntry(
        scan_id=item["scan_id"],
        event_id=item["event_id"],
        result=item["result"],
        scanned_at=datetime.fromisoformat(item["scanned_at"]),
        device_id=item["device_id"],
        gate=item.get("gate"),
        staff_id=item.get("staff_id"),
        ticket_id=item.get("ticket_id"),
        ticket_type_id=item.get("ticket_type_id"),
        code=item.get("code"),
        offline=bool(item.get("offline")),
        conflict_with=item.get("conflict_with"),
    )


def new_scan_op(entry: ScanEntry, *, recorded_at: datetime) -> dict[str, Any]:
    """A Put of a scan not yet logged (fails when its id is: a repeated upload)."""
    return put_op(_item(entry, recorded_at), condition="attribute_not_exists(PK)")


def log_scan(entry: ScanEntry, *, recorded_at: datetime) -> bool:
    """Log a scan that changes no ticket; False when it was logged before."""
    try:
        table.put(_item(entry, recorded_at), condition="attribute_not_exists(PK)")
    except table.ConditionFailed:
        return False
    return True


def scan(event_id: str, scan_id: str) -> ScanEntry | None:
    item = table.get(keys.scan(event_id, scan_id), consistent=True)
    return to_entry(item) if item else None


def scan_log(event_id: str) -> list[ScanEntry]:
    """Every scan of the event, oldest first."""
    return [to_entry(item) for item in table.all_of_sharded("GSI1", keys.scan_logs(event_id))]


def scan_log_page(
    event_id: str, *, limit: int, start_key: Mapping[str, str] | None
) -> tuple[list[ScanEntry], dict[str, str] | None]:
    """One page of the event's scans, newest first, and where the next page starts: the
    position of its last scan (``GSI1SK``), which orders the scans of every shard."""
    items, more = table.first_of_sharded(
        "GSI1",
        keys.scan_logs(event_id),
        limit=limit,
        sort_below=start_key["GSI1SK"] if start_key else None,
        newest_first=True,
    )
    resume = {"GSI1SK": items[-1]["GSI1SK"]} if more and items else None
    return [to_entry(item) for item in items], resume
