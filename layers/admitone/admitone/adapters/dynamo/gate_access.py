"""Who may work a venue's gates: staff members, paired devices and pairing codes.

Items:
- ``keys.venue_staff``: ``user_id``, ``role`` (scanner | supervisor), ``email``,
  ``added_by``, ``added_at``.
- ``keys.pairing_code``: keyed by the SHA-256 of the code (the code itself is never
  stored); ``venue_id``, ``created_by``, ``expires_at``; ``ttl`` lets DynamoDB sweep it.
- ``keys.device``: ``device_id``, ``venue_id``, ``name``, ``secret_hash`` (SHA-256 of the
  token's secret), ``paired_by``, ``paired_at``, ``revoked_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    ConditionFailed,
    TransactionCancelled,
    delete,
    delete_op,
    get,
    instant,
    put,
    put_op,
    transact,
    update,
)
from admitone.domain.gate_access import Device, StaffMember, StaffRole


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


def remove_staff(venue_id: str, user_id: str) -> bool:
    """Whether there was such a member to remove."""
    return delete(keys.venue_staff(venue_id, user_id)) is not None


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
def _device_item(device: Device) -> dict[str, Any]:
    return {
        **keys.device(device.id),
        "entity": "device",
        "device_id": device.id,
        "venue_id": device.venue_id,
        "name": device.name,
        "secret_hash": device.secret_hash,
        "paired_by": device.paired_by,
        "paired_at": instant(device.paired_at),
        "revoked_at": instant(device.revoked_at) if device.revoked_at else None,
    }


def _to_device(item: Mapping[str, Any]) -> Device:
    revoked = item.get("revoked_at")
    return Device(
        id=item["device_id"],
        venue_id=item["venue_id"],
        name=item["name"],
        secret_hash=item["secret_hash"],
        paired_by=item["paired_by"],
        paired_at=datetime.fromisoformat(item["paired_at"]),
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
    )


def device(device_id: str) -> Device | None:
    item = get(keys.device(device_id), consistent=True)
    return _to_device(item) if item else None


def revoke_device(device_id: str, venue_id: str, *, now: datetime) -> Device | None:
    """Revoke the venue's device (again, harmlessly); None when it has no such device."""
    try:
        item = update(
            keys.device(device_id),
            "SET revoked_at = if_not_exists(revoked_at, :now)",
            values={":now": instant(now), ":venue": venue_id},
            condition="attribute_exists(PK) AND venue_id = :venue",
        )
    except ConditionFailed:
        return None
    return _to_device(item)
