"""Pairing codes and device tokens: what is stored, what is accepted, what is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.accounts import User
from admitone.domain.codes import TICKET_CODE_ALPHABET
from admitone.domain.gate_access import (
    DEVICE_LIFETIME,
    PAIRING_CODE_LENGTH,
    Device,
    DeviceStatus,
    DeviceTokenInvalid,
    PairingCodeInvalid,
    StaffMember,
    StaffRole,
    check_device,
    check_standing,
    device_id_of,
    new_device_token,
    new_pairing_code,
    pairer_in_standing,
    pairing_code_hash,
)
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
VENUE = new_id(Prefix.VENUE)
DEVICE_ID = new_id(Prefix.DEVICE)
TOKEN, SECRET_HASH = new_device_token(DEVICE_ID)
DEVICE = Device(DEVICE_ID, VENUE, "North 1", SECRET_HASH, new_id(Prefix.USER), NOW)


def test_a_pairing_code_is_eight_unambiguous_characters_stored_only_as_a_hash():
    code = new_pairing_code()
    assert len(code) == PAIRING_CODE_LENGTH
    assert set(code) <= set(TICKET_CODE_ALPHABET)
    stored = pairing_code_hash(code)
    assert code not in stored
    # People type codes loosely: case, spaces and dashes do not matter.
    loose = f" {code[:4].lower()}-{code[4:]} "
    assert pairing_code_hash(loose) == stored


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGHJ", "0OIL1ABC"])
def test_a_malformed_pairing_code_is_refused_before_any_lookup(typed: str):
    with pytest.raises(PairingCodeInvalid):
        pairing_code_hash(typed)


def test_a_device_token_names_its_device_and_keeps_its_secret_out_of_the_table():
    device_id, secret = device_id_of(TOKEN)
    assert device_id == DEVICE_ID
    assert secret not in SECRET_HASH
    assert check_device(DEVICE, secret, now=NOW) == DEVICE


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", f"{DEVICE_ID}.", "dev_nope.secret", f"usr_{DEVICE_ID[4:]}.s"],
    ids=["empty", "no-dot", "no-secret", "not-an-id", "user-id"],
)
def test_a_token_of_the_wrong_shape_is_refused(token: str):
    with pytest.raises(DeviceTokenInvalid):
        device_id_of(token)


SECRET = device_id_of(TOKEN)[1]


@pytest.mark.parametrize(
    ("device", "secret", "now"),
    [
        (None, "x", NOW),
        (DEVICE, "wrong-secret", NOW),
        (replace(DEVICE, revoked_at=NOW), SECRET, NOW),
        (DEVICE, SECRET, NOW + DEVICE_LIFETIME),
        (replace(DEVICE, renewed_at=NOW + timedelta(days=5)), SECRET, NOW + timedelta(days=35)),
    ],
    ids=["unknown", "wrong-secret", "revoked", "expired", "expired-after-renewal"],
)
def test_unknown_forged_revoked_or_expired_devices_are_refused(
    device: Device | None, secret: str, now: datetime
):
    with pytest.raises(DeviceTokenInvalid):
        check_device(device, secret, now=now)


def test_a_device_lives_30_days_from_its_pairing_or_its_last_renewal():
    assert DEVICE.expires_at == NOW + timedelta(days=30)
    renewed = replace(DEVICE, renewed_at=NOW + timedelta(days=29))
    assert renewed.expires_at == NOW + timedelta(days=59)
    assert check_device(renewed, SECRET, now=NOW + timedelta(days=58)) == renewed


@pytest.mark.parametrize(
    ("device", "in_standing", "now", "status"),
    [
        (DEVICE, True, NOW, DeviceStatus.ACTIVE),
        (DEVICE, True, NOW + DEVICE_LIFETIME, DeviceStatus.EXPIRED),
        (DEVICE, False, NOW, DeviceStatus.PAIRER_INACTIVE),
        (DEVICE, False, NOW + DEVICE_LIFETIME, DeviceStatus.PAIRER_INACTIVE),
        (replace(DEVICE, revoked_at=NOW), False, NOW, DeviceStatus.REVOKED),
    ],
    ids=["active", "expired", "pairer-inactive", "pairer-inactive-over-expired", "revoked"],
)
def test_a_devices_status(device: Device, in_standing: bool, now: datetime, status: DeviceStatus):
    assert device.status(now, pairer_in_standing=in_standing) is status


def test_a_devices_use_is_recorded_at_most_once_a_minute():
    assert not DEVICE.seen_recently(NOW)
    seen = replace(DEVICE, last_seen_at=NOW)
    assert seen.seen_recently(NOW + timedelta(seconds=59))
    assert not seen.seen_recently(NOW + timedelta(minutes=1))


OWNER = new_id(Prefix.USER)


def _user(user_id: str, *roles: Role, suspended: bool = False) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        name="Someone",
        roles=roles,
        created_at=NOW,
        suspended_at=NOW if suspended else None,
    )


MEMBER = StaffMember(VENUE, DEVICE.paired_by, "s@example.com", StaffRole.SCANNER, OWNER, NOW)


@pytest.mark.parametrize(
    ("pairer", "membership", "owner", "expected"),
    [
        (_user(DEVICE.paired_by, Role.BUYER), MEMBER, OWNER, True),
        (_user(DEVICE.paired_by, Role.BUYER), None, OWNER, False),
        (None, MEMBER, OWNER, False),
        (_user(DEVICE.paired_by, Role.BUYER, suspended=True), MEMBER, OWNER, False),
        (_user(OWNER, Role.ORGANIZER), None, OWNER, True),
        (_user(OWNER, Role.BUYER), None, OWNER, False),
        (_user(OWNER, Role.ORGANIZER), None, None, False),
        (_user(DEVICE.paired_by, Role.ADMIN), None, OWNER, True),
    ],
    ids=[
        "staff",
        "no-longer-staff",
        "account-gone",
        "suspended",
        "owner-organizer",
        "owner-without-organizer-role",
        "venue-unknown",
        "admin",
    ],
)
def test_a_pairer_is_in_standing_while_they_work_the_venues_gates(
    pairer: User | None, membership: StaffMember | None, owner: str | None, expected: bool
):
    assert pairer_in_standing(pairer, membership, venue_owner_id=owner) is expected


def test_a_device_of_a_pairer_out_of_standing_is_refused():
    assert check_standing(DEVICE, in_standing=True) == DEVICE
    with pytest.raises(DeviceTokenInvalid):
        check_standing(DEVICE, in_standing=False)
