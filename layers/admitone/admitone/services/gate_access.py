"""Venue staff and gate devices: adding staff, pairing and revoking devices, and
deciding who (and which device) may work a venue's gates (domain/gate_access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.cursor_keys import cursor_key
from admitone.adapters.dynamo import accounts, catalog
from admitone.adapters.dynamo import gate_access as store
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Venue
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import Forbidden, NotFound
from admitone.domain.gate_access import (
    PAIRING_CODE_LIFETIME,
    Device,
    DevicePairerInactive,
    DeviceRevoked,
    DeviceStatus,
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
from admitone.observability import logger
from admitone.services import accounts_by_email


@dataclass(frozen=True)
class PairingCode:
    code: str
    venue_id: str
    expires_at: datetime


@dataclass(frozen=True)
class PairedDevice:
    device: Device
    token: str


@dataclass(frozen=True)
class DeviceState:
    """A device as a supervisor sees it: its status now, its pairer's standing included."""

    device: Device
    status: DeviceStatus


@dataclass(frozen=True)
class DevicePage:
    devices: list[DeviceState]
    next_cursor: str | None


def _venue(venue_id: str) -> Venue:
    venue = catalog.get_venue(venue_id)
    if venue is None:
        raise NotFound("No such venue.")
    return venue


def _is_owner(venue: Venue, caller: Principal) -> bool:
    return caller.manages(venue.owner_id)


def gate_role(venue: Venue, caller: Principal) -> StaffRole | None:
    """What the caller may do at the venue's gates: the organizer supervises."""
    if _is_owner(venue, caller):
        return StaffRole.SUPERVISOR
    member = store.staff_member(venue.id, caller.user_id)
    return member.role if member else None


def require_gate_role(venue_id: str, caller: Principal, *roles: StaffRole) -> Venue:
    """The venue, if the caller works its gates in one of ``roles`` (404 to strangers)."""
    venue = _venue(venue_id)
    role = gate_role(venue, caller)
    if role is None:
        raise NotFound("No such venue.")
    if role not in roles:
        raise Forbidden("Your role at this venue does not allow this.")
    return venue


# --------------------------------------------------------------------- staff
def add_staff(
    venue_id: str, caller: Principal, *, email: str, role: StaffRole, now: datetime | None = None
) -> StaffMember:
    """Give the person with ``email`` (an account is created for a new address) a role
    at the venue; adding them again changes the role."""
    venue = _venue(venue_id)
    if not _is_owner(venue, caller):
        raise NotFound("No such venue.")
    now = now or datetime.now(UTC)
    user = accounts_by_email.user_for_email(email, now=now)
    member = StaffMember(
        venue_id=venue.id,
        user_id=user.id,
        email=user.email,
        role=role,
        added_by=caller.user_id,
        added_at=now,
    )
    store.put_staff(member)
    logger.info("venue staff added", extra={"venue_id": venue.id, "role": role.value})
    return member


def remove_staff(
    venue_id: str, user_id: str, caller: Principal, *, now: datetime | None = None
) -> None:
    """Take the person's gate role away and revoke every device they paired at the venue
    (one transaction). A device paired a moment ago that the venue's device index does
    not list yet is refused all the same: its pairer is no longer staff."""
    venue = _venue(venue_id)
    if not _is_owner(venue, caller):
        raise NotFound("No such venue.")
    devices = store.devices_paired_by(venue.id, user_id)
    if not store.remove_staff(venue.id, user_id, devices, now=now or datetime.now(UTC)):
        raise NotFound("No such staff member.")
    logger.info(
        "venue staff removed", extra={"venue_id": venue.id, "devices_revoked": len(devices)}
    )


# ------------------------------------------------------------------- devices
def create_pairing_code(
    venue_id: str, caller: Principal, *, now: datetime | None = None
) -> PairingCode:
    venue = require_gate_role(venue_id, caller, StaffRole.SUPERVISOR)
    now = now or datetime.now(UTC)
    code = new_pairing_code()
    expires_at = now + PAIRING_CODE_LIFETIME
    store.put_pairing_code(
        pairing_code_hash(code), venue_id=venue.id, created_by=caller.user_id, expires_at=expires_at
    )
    return PairingCode(code=code, venue_id=venue.id, expires_at=expires_at)


def pair_device(
    code: str, name: str, caller: Principal, *, now: datetime | None = None
) -> PairedDevice:
    """Spend a live pairing code: the caller, staff of its venue, gets a device token."""
    now = now or datetime.now(UTC)
    code_hash = pairing_code_hash(code)
    venue_id = store.pairing_venue(code_hash, now=now)
    if venue_id is None:
        raise PairingCodeInvalid("The pairing code is not valid or has expired.")
    require_gate_role(venue_id, caller, StaffRole.SCANNER, StaffRole.SUPERVISOR)
    device_id = new_id(Prefix.DEVICE, now=now)
    token, secret_hash = new_device_token(device_id)
    device = Device(
        id=device_id,
        venue_id=venue_id,
        name=name.strip(),
        secret_hash=secret_hash,
        paired_by=caller.user_id,
        paired_at=now,
    )
    try:
        store.redeem_pairing_code(code_hash, device, now=now)
    except store.CodeNotRedeemable:
        raise PairingCodeInvalid("The pairing code is not valid or has expired.") from None
    logger.info("device paired", extra={"venue_id": venue_id, "device_id": device_id})
    return PairedDevice(device=device, token=token)


def revoke_device(
    venue_id: str, device_id: str, caller: Principal, *, now: datetime | None = None
) -> Device:
    venue = require_gate_role(venue_id, caller, StaffRole.SUPERVISOR)
    revoked = store.revoke_device(device_id, venue.id, now=now or datetime.now(UTC))
    if revoked is None:
        raise NotFound("No such device.")
    logger.info("device revoked", extra={"venue_id": venue.id, "device_id": device_id})
    return revoked


def renew_device(
    venue_id: str, device_id: str, caller: Principal, *, now: datetime | None = None
) -> DeviceState:
    """Give the venue's device another ``DEVICE_LIFETIME`` from now. A revoked device
    stays revoked (pair a new one), and a device whose pairer no longer works the
    venue's gates would still be refused, so neither is renewed (409)."""
    venue = require_gate_role(venue_id, caller, StaffRole.SUPERVISOR)
    now = now or datetime.now(UTC)
    found = store.device(device_id)
    if found is None or found.venue_id != venue.id:
        raise NotFound("No such device.")
    if found.revoked_at is not None:
        raise DeviceRevoked("This device was revoked; pair a new one.")
    if not _in_standing(found, venue):
        raise DevicePairerInactive(
            "The person who paired this device no longer works this venue's gates."
        )
    try:
        renewed = store.renew_device(device_id, venue.id, now=now)
    except store.DeviceNotRenewable as refused:  # revoked meanwhile
        raise DeviceRevoked("This device was revoked; pair a new one.") from refused
    logger.info("device renewed", extra={"venue_id": venue.id, "device_id": device_id})
    return DeviceState(renewed, renewed.status(now, pairer_in_standing=True))


def list_devices(
    venue_id: str,
    caller: Principal,
    *,
    limit: int,
    cursor: str | None,
    now: datetime | None = None,
) -> DevicePage:
    """The venue's devices, newest pairing first, each with its status now."""
    venue = require_gate_role(venue_id, caller, StaffRole.SUPERVISOR)
    now = now or datetime.now(UTC)
    filters = fingerprint({"devices": venue.id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    devices, last_key = store.venue_devices_page(venue.id, limit=limit, start_key=start)
    standing: dict[str, bool] = {}
    states = []
    for device in devices:
        if device.revoked_at is None and device.paired_by not in standing:
            standing[device.paired_by] = _in_standing(device, venue)
        in_standing = standing.get(device.paired_by, False)
        states.append(DeviceState(device, device.status(now, pairer_in_standing=in_standing)))
    return DevicePage(
        devices=states,
        next_cursor=encode_cursor(last_key, filters, cursor_key()) if last_key else None,
    )


def _in_standing(device: Device, venue: Venue | None = None) -> bool:
    """Whether the person who paired ``device`` still works its venue's gates."""
    pairer = accounts.user_by_id(device.paired_by)
    if pairer is None:
        return False
    membership = store.staff_member(device.venue_id, device.paired_by)
    if membership is None and venue is None:
        venue = catalog.get_venue(device.venue_id)
    return pairer_in_standing(pairer, membership, venue_owner_id=venue.owner_id if venue else None)


def authenticate_device(token: str | None, *, now: datetime | None = None) -> Device:
    """The live device that presented ``token`` (else 401 ``DEVICE_TOKEN_INVALID``).

    Nothing is read before the token has the shape of one, and nothing but the device
    and its pairer's standing until the secret matched. Which venue's data the device
    may see is the caller's check (``Device.venue_id``).
    """
    now = now or datetime.now(UTC)
    device_id, secret = device_id_of(token or "")
    device = check_device(store.device(device_id), secret, now=now)
    check_standing(device, in_standing=_in_standing(device))
    if not device.seen_recently(now):
        store.record_use(device, now=now)
    return device
