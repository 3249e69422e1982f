"""Who may work a venue's gates: staff members, paired devices and pairing codes.

Items:
- ``keys.venue_staff``: ``user_id``, ``role`` (scanner | supervisor), ``email``,
  ``added_by``, ``added_at``.
- ``keys.pairing_code``: keyed by the SHA-256 of the code (the code itself is never
  stored); ``venue_id``, ``created_by``, ``expires_at``; ``ttl`` lets DynamoDB sweep it.
- ``keys.device``: ``device_id``, ``venue_id``, ``name``, ``secret_hash`` (SHA-256 of the
  token's secret), ``paired_by``, ``paired_at``, ``renewed_at``, ``revoked_at``,
  ``revoked_reason``, ``last_seen_at`` (to the minute); ``GSI1PK = keys.venue_devices``,
  ``GSI1SK = DEVICE#<paired at>#<device id>`` lists a venue's devices newest first.
  Devices paired before the index existed get its attributes on their next use, or
  from ``scripts/backfill-device-listing`` (``list_unlisted_devices``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    ConditionFailed,
    TransactionCancelled,
    delete_op,
    get,
    index_page,
    instant,
    put,
    put_op,
    query_pages,
    scan_entity,
    to_attributes,
    transact,
    update,
    update_op,
)
from admitone.config import settings
from admitone.domain.gate_access import Device, RevocationReason, StaffMember, StaffRole

# One transaction holds at most 100 operations: the staff delete and 99 revocations.
_TRANSACTION_LIMIT = 100
_DEVICE_SORT_PREFIX = "DEVICE#"
_DEVICE_ENTITY = "device"


class CodeNotRedeemable(Exception):
    """No live pairing code has this hash (unknown, expired or already used)."""


# --------------------------------------------------------------------- staff
def put_staff(member: StaffMember) -> None:
    """Add ``member`` to the venue, or change their role."""
    put(
        {
            **keys.venue_staff(member.venue_id, member.user_id),
            "entity": "venue_staff",
            "venue_id": member.venue_id,
            "user_id": member.user_id,
            "email": member.email,
            "role": member.role.value,
            "added_by": member.added_by,
            "added_at": instant(member.added_at),
        }
    )


def staff_member(venue_id: str, user_id: str) -> StaffMember | None:
    item = get(keys.venue_staff(venue_id, user_id), consistent=True)
    if item is None:
        return None
    return StaffMember(
        venue_id=item["venue_id"],
        user_id=item["user_id"],
        email=item["email"],
        role=StaffRole(item["role"]),
        added_by=item["added_by"],
        added_at=datetime.fromisoformat(item["added_at"]),
    )


def remove_staff(venue_id: str, user_id: str, devices: Sequence[str], *, now: datetime) -> bool:
    """Remove the member and revoke ``devices`` (theirs at the venue) in one transaction;
    whether there was such a member. Beyond one transaction's size the rest are revoked
    in further transactions: they are refused anyway once the member is gone."""
    reason = RevocationReason.STAFF_REMOVED.value
    revocations = [_revoke_op(device_id, venue_id, now=now, reason=reason) for device_id in devices]
    first = _TRANSACTION_LIMIT - 1
    try:
        transact(
            [
                delete_op(keys.venue_staff(venue_id, user_id), condition="attribute_exists(PK)"),
                *revocations[:first],
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            return False
        raise  # a device of the venue vanished: devices are never deleted
    for start in range(first, len(revocations), _TRANSACTION_LIMIT):
        transact(revocations[start : start + _TRANSACTION_LIMIT])
    return True


# ------------------------------------------------------------- pairing codes
def put_pairing_code(
    code_hash: str, *, venue_id: str, created_by: str, expires_at: datetime
) -> None:
    put(
        {
            **keys.pairing_code(code_hash),
            "entity": "pairing_code",
            "venue_id": venue_id,
            "created_by": created_by,
            "expires_at": instant(expires_at),
            "ttl": int(expires_at.timestamp()),
        },
        condition="attribute_not_exists(PK)",
    )


def redeem_pairing_code(code_hash: str, device: Device, *, now: datetime) -> None:
    """Spend the code and register ``device`` in one transaction: a code pairs once.

    ``device.venue_id`` must be the code's venue (the caller read it with ``pairing_venue``).
    """
    try:
        transact(
            [
                delete_op(
                    keys.pairing_code(code_hash),
                    condition="attribute_exists(PK) AND venue_id = :venue AND expires_at > :now",
                    values={":venue": device.venue_id, ":now": instant(now)},
                ),
                put_op(_device_item(device), condition="attribute_not_exists(PK)"),
            ]
        )
    except TransactionCancelled:
        raise CodeNotRedeemable from None


def pairing_venue(code_hash: str, *, now: datetime) -> str | None:
    """The venue a live code pairs a device with."""
    item = get(keys.pairing_code(code_hash), consistent=True)
    if item is None or datetime.fromisoformat(item["expires_at"]) <= now:
        return None
    venue_id: str = item["venue_id"]
    return venue_id


# ------------------------------------------------------------------- devices
def _listing_keys(device: Device) -> dict[str, str]:
    return {
        "GSI1PK": keys.venue_devices(device.venue_id),
        "GSI1SK": f"{_DEVICE_SORT_PREFIX}{instant(device.paired_at)}#{device.id}",
    }


def _device_item(device: Device) -> dict[str, Any]:
    return {
        **keys.device(device.id),
        **_listing_keys(device),
        "entity": _DEVICE_ENTITY,
        "device_id": device.id,
        "venue_id": device.venue_id,
        "name": device.name,
        "secret_hash": device.secret_hash,
        "paired_by": device.paired_by,
        "paired_at": instant(device.paired_at),
        "revoked_at": instant(device.revoked_at) if device.revoked_at else None,
    }


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _to_device(item: Mapping[str, Any]) -> Device:
    reason = item.get("revoked_reason")
    return Device(
        id=item["device_id"],
        venue_id=item["venue_id"],
        name=item["name"],
        secret_hash=item["secret_hash"],
        paired_by=item["paired_by"],
        paired_at=datetime.fromisoformat(item["paired_at"]),
        revoked_at=_moment(item.get("revoked_at")),
        # Revoked before reasons were kept: only a supervisor could revoke then.
        revoked_reason=(
            RevocationReason(reason)
            if reason
            else RevocationReason.BY_SUPERVISOR
            if item.get("revoked_at")
            else None
        ),
        renewed_at=_moment(item.get("renewed_at")),
        last_seen_at=_moment(item.get("last_seen_at")),
    )


def device(device_id: str) -> Device | None:
    item = get(keys.device(device_id), consistent=True)
    return _to_device(item) if item else None


def _revoke_op(device_id: str, venue_id: str, *, now: datetime, reason: str) -> dict[str, Any]:
    return update_op(
        keys.device(device_id),
        "SET revoked_at = if_not_exists(revoked_at, :now), "
        "revoked_reason = if_not_exists(revoked_reason, :reason)",
        values={":now": instant(now), ":venue": venue_id, ":reason": reason},
        condition="attribute_exists(PK) AND venue_id = :venue",
    )


def revoke_device(device_id: str, venue_id: str, *, now: datetime) -> Device | None:
    """Revoke the venue's device (again, harmlessly); None when it has no such device."""
    try:
        item = update(
            keys.device(device_id),
            "SET revoked_at = if_not_exists(revoked_at, :now), "
            "revoked_reason = if_not_exists(revoked_reason, :reason)",
            values={
                ":now": instant(now),
                ":venue": venue_id,
                ":reason": RevocationReason.BY_SUPERVISOR.value,
            },
            condition="attribute_exists(PK) AND venue_id = :venue",
        )
    except ConditionFailed:
        return None
    return _to_device(item)


class DeviceNotRenewable(Exception):
    """The venue has no such device, or it was revoked (``revoked`` says which)."""

    def __init__(self, *, revoked: bool) -> None:
        super().__init__("revoked" if revoked else "no such device")
        self.revoked = revoked


def renew_device(device_id: str, venue_id: str, *, now: datetime) -> Device:
    """Start the venue's device's lifetime again from ``now``, unless it was revoked."""
    try:
        item = update(
            keys.device(device_id),
            "SET renewed_at = :now",
            values={":now": instant(now), ":venue": venue_id},
            condition="attribute_exists(PK) AND venue_id = :venue AND "
            "attribute_not_exists(revoked_at)",
        )
    except ConditionFailed:
        found = device(device_id)
        exists = found is not None and found.venue_id == venue_id
        raise DeviceNotRenewable(revoked=exists) from None
    return _to_device(item)


def record_use(found: Device, *, now: datetime) -> None:
    """Note that ``found`` was used at ``now`` (callers skip it while ``seen_recently``);
    also gives a device paired before the venue listing existed its listing keys."""
    listing = _listing_keys(found)
    try:
        update(
            keys.device(found.id),
            "SET last_seen_at = :now, GSI1PK = if_not_exists(GSI1PK, :gpk), "
            "GSI1SK = if_not_exists(GSI1SK, :gsk)",
            values={":now": instant(now), ":gpk": listing["GSI1PK"], ":gsk": listing["GSI1SK"]},
            # Concurrent scans of one device: one write wins, the others change nothing.
            condition="attribute_exists(PK) AND "
            "(attribute_not_exists(last_seen_at) OR last_seen_at < :now)",
        )
    except ConditionFailed:
        return


def list_unlisted_devices(table_name: str | None = None) -> int:
    """Give every device paired before the venue listing existed its listing keys, so
    that one never used since is listed (and revoked with its pairer); how many were.

    A whole-table Scan: an operator's one-off, never a request path. Running it again
    changes nothing."""
    listed = 0
    for item in scan_entity(_DEVICE_ENTITY, table_name):
        if "GSI1PK" in item:
            continue
        listing = _listing_keys(_to_device(item))
        client("dynamodb").update_item(
            TableName=table_name or settings().table_name,
            Key=to_attributes(keys.device(item["device_id"])),
            UpdateExpression="SET GSI1PK = if_not_exists(GSI1PK, :gpk), "
            "GSI1SK = if_not_exists(GSI1SK, :gsk)",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=to_attributes(
                {":gpk": listing["GSI1PK"], ":gsk": listing["GSI1SK"]}
            ),
        )
        listed += 1
    return listed


def venue_devices_page(
    venue_id: str, *, limit: int, start_key: Mapping[str, str] | None
) -> tuple[list[Device], dict[str, str] | None]:
    """One page of the venue's devices, newest pairing first."""
    items, last_key = index_page(
        "GSI1",
        keys.venue_devices(venue_id),
        limit=limit,
        start_key=start_key,
        sort_prefix=_DEVICE_SORT_PREFIX,
        newest_first=True,
    )
    return [_to_device(item) for item in items], last_key


def devices_paired_by(venue_id: str, user_id: str) -> list[str]:
    """The ids of the devices ``user_id`` paired at the venue that are not yet revoked."""
    request = {
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
        "FilterExpression": "paired_by = :user",
        "ExpressionAttributeValues": to_attributes(
            {":pk": keys.venue_devices(venue_id), ":prefix": _DEVICE_SORT_PREFIX, ":user": user_id}
        ),
    }
    return [
        item["device_id"]
        for page, _ in query_pages(request)
        for item in page
        if not item.get("revoked_at")
    ]
