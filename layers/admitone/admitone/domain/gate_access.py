"""Gate access: venue staff, pairing codes and device tokens (SPEC §6).

- A venue's organizer (or an admin) adds staff by e-mail as ``scanner`` or
  ``supervisor``. Supervisors issue pairing codes, revoke devices and watch check-ins;
  scanners pair devices and scan. The organizer may do everything a supervisor may.
- A pairing code is 8 characters of the ticket-code alphabet (no look-alikes), lives
  10 minutes and pairs one device. Only its SHA-256 is stored.
- A device token is ``<device id>.<secret>``; only the SHA-256 of the secret is stored,
  so a leaked table does not pair anyone.
- A device belongs to the venue and to the person who paired it. It is live only while
  it is not revoked, not expired (``DEVICE_LIFETIME`` from its pairing or its last
  renewal by a supervisor) and its pairer still works the venue's gates: a staff member
  of the venue, or its owner while they manage it (``Principal.manages``), with an
  account that exists and is not suspended. The pairer's standing is checked on every
  use, so taking someone's role or account away stops their devices at once; removing
  a staff member also revokes their devices for the record (``STAFF_REMOVED``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from admitone.domain.accounts import Principal, User
from admitone.domain.codes import TICKET_CODE_ALPHABET
from admitone.domain.errors import Conflict, Unauthenticated, ValidationFailed
from admitone.domain.ids import Prefix, id_pattern

PAIRING_CODE_LENGTH = 8
PAIRING_CODE_LIFETIME = timedelta(minutes=10)
# A device token works this long after pairing or after a supervisor last renewed it.
DEVICE_LIFETIME = timedelta(days=30)
# A device's last use is recorded to this resolution: at most one write a minute per
# device, not one per scan.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
DEVICE_NAME_MAX_LENGTH = 80
_DEVICE_SECRET_BYTES = 32
_DEVICE_ID = re.compile(id_pattern(Prefix.DEVICE))
_PAIRING_CODE = re.compile(f"^[{TICKET_CODE_ALPHABET}]{{{PAIRING_CODE_LENGTH}}}$")


class StaffRole(StrEnum):
    SCANNER = "scanner"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class StaffMember:
    venue_id: str
    user_id: str
    email: str
    role: StaffRole
    added_by: str
    added_at: datetime


class RevocationReason(StrEnum):
    BY_SUPERVISOR = "revoked_by_supervisor"
    STAFF_REMOVED = "staff_removed"  # the person who paired it was removed from the venue


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"  # a supervisor may renew it
    REVOKED = "revoked"  # for good
    # Its pairer no longer works the venue's gates (role or account taken away, suspended).
    PAIRER_INACTIVE = "pairer_inactive"


@dataclass(frozen=True)
class Device:
    id: str
    venue_id: str
    name: str
    secret_hash: str
    paired_by: str
    paired_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: RevocationReason | None = None
    renewed_at: datetime | None = None
    last_seen_at: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        return (self.renewed_at or self.paired_at) + DEVICE_LIFETIME

    def status(self, now: datetime, *, pairer_in_standing: bool) -> DeviceStatus:
        if self.revoked_at is not None:
            return DeviceStatus.REVOKED
        if not pairer_in_standing:
            return DeviceStatus.PAIRER_INACTIVE
        if self.expires_at <= now:
            return DeviceStatus.EXPIRED
        return DeviceStatus.ACTIVE

    def seen_recently(self, now: datetime) -> bool:
        """Whether its recorded last use is recent enough not to be written again."""
        return self.last_seen_at is not None and now - self.last_seen_at < LAST_SEEN_RESOLUTION


class DeviceTokenInvalid(Unauthenticated):
    code = "DEVICE_TOKEN_INVALID"
    title = "The device is not paired"


class DeviceRevoked(Conflict):
    code = "DEVICE_REVOKED"
    title = "The device was revoked"


class DevicePairerInactive(Conflict):
    code = "DEVICE_PAIRER_INACTIVE"
    title = "The device's pairer no longer works the venue's gates"


class PairingCodeInvalid(ValidationFailed):
    code = "PAIRING_CODE_INVALID"
    title = "The pairing code is not valid"


def new_pairing_code() -> str:
    return "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))


def pairing_code_hash(code: str) -> str:
    """The stored form of a code, after the forgiving normalisation people need
    (spaces, dashes, lower case)."""
    compact = re.sub(r"[\s-]+", "", code).upper()
    if not _PAIRING_CODE.match(compact):
        raise PairingCodeInvalid("The pairing code is not valid or has expired.")
    return _sha256(compact)


def new_device_token(device_id: str) -> tuple[str, str]:
    """A device token and the hash of its secret (what is stored)."""
    secret = secrets.token_urlsafe(_DEVICE_SECRET_BYTES)
    return f"{device_id}.{secret}", _sha256(secret)


def device_id_of(token: str) -> tuple[str, str]:
    """The device id and secret of a presented token (shape only; ``DeviceTokenInvalid``)."""
    device_id, dot, secret = token.partition(".")
    if not dot or not secret or not _DEVICE_ID.fullmatch(device_id):
        raise DeviceTokenInvalid("Pair this device first.")
    return device_id, secret


def check_device(device: Device | None, secret: str, *, now: datetime) -> Device:
    """The device a token belongs to, if its secret matches and it is neither revoked nor
    expired (its pairer's standing is ``check_standing``'s, once they are read)."""
    if device is None or not hmac.compare_digest(device.secret_hash, _sha256(secret)):
        raise DeviceTokenInvalid("This device is not paired, or was revoked.")
    # Past the secret: the holder of a real token may learn why it stopped working.
    if device.revoked_at is not None:
        raise DeviceTokenInvalid("This device was revoked; pair it again.")
    if device.expires_at <= now:
        raise DeviceTokenInvalid("This device's pairing has expired; ask a supervisor to renew it.")
    return device


def pairer_in_standing(
    pairer: User | None, membership: StaffMember | None, *, venue_owner_id: str | None
) -> bool:
    """Whether the person who paired a device still works the venue's gates: their
    account exists and is not suspended, and they are its staff or manage it."""
    if pairer is None or pairer.suspended_at is not None:
        return False
    if membership is not None:
        return True
    principal = Principal(pairer.id, frozenset(pairer.roles), pairer.email)
    return venue_owner_id is not None and principal.manages(venue_owner_id)


def check_standing(device: Device, *, in_standing: bool) -> Device:
    if not in_standing:
        raise DeviceTokenInvalid(
            "The person who paired this device no longer works this venue's gates."
        )
    return device


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
