"""Gate access: venue staff, pairing codes and device tokens (SPEC §6).

- A venue's organizer (or an admin) adds staff by e-mail as ``scanner`` or
  ``supervisor``. Supervisors issue pairing codes, revoke devices and watch check-ins;
  scanners pair devices and scan. The organizer may do everything a supervisor may.
- A pairing code is 8 characters of the ticket-code alphabet (no look-alikes), lives
  10 minutes and pairs one device. Only its SHA-256 is stored.
- A device token is ``<device id>.<secret>``; only the SHA-256 of the secret is stored,
  so a leaked table does not pair anyone. A revoked device is refused at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from admitone.domain.codes import TICKET_CODE_ALPHABET
from admitone.domain.errors import Unauthenticated, ValidationFailed
from admitone.domain.ids import Prefix, id_pattern

PAIRING_CODE_LENGTH = 8
PAIRING_CODE_LIFETIME = timedelta(minutes=10)
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


@dataclass(frozen=True)
class Device:
    id: str
    venue_id: str
    name: str
    secret_hash: str
    paired_by: str
    paired_at: datetime
    revoked_at: datetime | None = None


class DeviceTokenInvalid(Unauthenticated):
    code = "DEVICE_TOKEN_INVALID"
    title = "The device is not paired"


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


def check_device(device: Device | None, secret: str, *, venue_id: str) -> Device:
    """The device a token belongs to, if it is live and paired with ``venue_id``."""
    if (
        device is None
        or not hmac.compare_digest(device.secret_hash, _sha256(secret))
        or device.revoked_at is not None
        or device.venue_id != venue_id
    ):
        raise DeviceTokenInvalid("This device is not paired with the venue, or was revoked.")
    return device


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
