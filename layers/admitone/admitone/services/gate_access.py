"""Venue staff and gate devices: adding staff, pairing and revoking devices, and
deciding who (and which device) may work a venue's gates (domain/gate_access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import gate_access as store
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Venue
from admitone.domain.errors import Forbidden, NotFound
from admitone.domain.gate_access import (
    PAIRING_CODE_LIFETIME,
    Device,
    PairingCodeInvalid,
    StaffMember,
    StaffRole,
    check_device,
    device_id_of,
    new_device_token,
    new_pairing_code,
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


def _venue(venue_id: str) -> Venue:
    venue = catalog.get_venue(venue_id)
    if venue is None:
        raise NotFound("No such venue.")
    return venue


def _is_owner(venue: Venue, caller: Principal) -> bool:
    return caller.is_admin or venue.owner_id == caller.user_id


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


def remove_staff(venue_id: str, user_id: str, caller: Principal) -> None:
    venue = _venue(venue_id)
    if not _is_owner(venue, caller):
        raise NotFound("No such venue.")
    if not store.remove_staff(venue.id, user_id):
        raise NotFound("No such staff member.")


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


def paired_device(token: str | None, *, venue_id: str) -> Device:
    """The live device of ``venue_id`` that presented ``token`` (else 401)."""
    device_id, secret = device_id_of(token or "")
    return check_device(store.device(device_id), secret, venue_id=venue_id)
