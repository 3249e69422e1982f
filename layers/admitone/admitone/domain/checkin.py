"""Gate decisions: what a scanner answers for a QR token, online or offline (SPEC §6).

The same function decides at the server and on a gate device: ``judge`` takes a
``Gate`` (what a scanner bundle carries: the event, its ticket types, the public keys
and the void/reissued list) and the ticket's scans so far. The scan service builds a
``Gate`` from the live ticket and then records an admission with one conditional
write; a device builds it from its last bundle (``Gate.from_bundle``) and its own
scan counts.

Order of checks: the token itself (format, key, signature, event, expiry), then the
ticket type, whether the event was cancelled, the void/reissued list, the check-in
window, and last the scans left. A superseded version (the ticket was transferred or
reissued) answers ``void``: the printed QR is void even though the ticket lives on
under a newer one. Every ticket of a cancelled event answers ``void``, free ones and
ones not (yet) refunded included. A ``void`` answer says why (``VoidReason``).

Attendee details travel in a bundle sealed with the ticket's own token (``seal`` /
``unseal``): a lost device holds ticket ids and ciphertext, nothing readable without
the QR of each ticket.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from admitone.domain.catalog import EventStatus
from admitone.domain.errors import InvalidToken
from admitone.domain.keys import PublicKeyRing
from admitone.domain.tokens import (
    TokenRejection,
    VerifiedTicket,
    base45_decode,
    check_revocations,
    verify_ticket_token,
)

# Gates open before the show: doors, queues, early entry. Festivals start the
# day with their first act, so six hours covers a long opening.
CHECKIN_OPENS_BEFORE_START = timedelta(hours=6)
_NONCE_BYTES = 12
_SEAL_INFO = b"admitone/attendee-seal"


class ScanResult(StrEnum):
    ADMITTED = "admitted"
    ALREADY_USED = "already_used"
    VOID = "void"
    WRONG_EVENT = "wrong_event"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    INVALID = "invalid"


class VoidReason(StrEnum):
    """Why a scan answered ``void``."""

    EVENT_CANCELLED = "event_cancelled"
    REVOKED = "revoked"  # the ticket itself is void (refunded, ...)
    SUPERSEDED = "superseded"  # a newer version of the ticket exists (transfer, reissue)


_RESULT_BY_REJECTION: Mapping[str, ScanResult] = {
    TokenRejection.WRONG_EVENT: ScanResult.WRONG_EVENT,
    TokenRejection.EXPIRED: ScanResult.EXPIRED,
    TokenRejection.REVOKED: ScanResult.VOID,
    TokenRejection.SUPERSEDED: ScanResult.VOID,
}


@dataclass(frozen=True)
class GateTicketType:
    id: str
    name: str
    max_scans: int


@dataclass(frozen=True)
class Gate:
    """What a scanner knows about one event."""

    event_id: str
    checkin_opens_at: datetime
    keys: PublicKeyRing
    ticket_types: Sequence[GateTicketType]
    # ticket id -> its current version, or None when the ticket is void.
    revocations: Mapping[str, int | None]
    event_cancelled: bool = False

    @classmethod
    def from_bundle(cls, bundle: Mapping[str, Any]) -> Gate:
        """The gate of a scanner-bundle document (GET /events/{id}/scanner-bundle),
        with the void/reissued list of every page a device has merged into it."""
        event = bundle["event"]
        return cls(
            event_id=event["id"],
            checkin_opens_at=datetime.fromisoformat(event["checkin_opens_at"]),
            keys=PublicKeyRing.from_jwks(bundle["keys"]),
            ticket_types=tuple(
                GateTicketType(t["id"], t["name"], int(t["max_scans"]))
                for t in bundle["ticket_types"]
            ),
            revocations={r["ticket_id"]: r["version"] for r in bundle["revocations"]},
            event_cancelled=event.get("status") == EventStatus.CANCELLED,
        )

    def ticket_type_of(self, ticket: VerifiedTicket) -> GateTicketType | None:
        return next(
            (t for t in self.ticket_types if ticket.is_of_type(t.id)),
            None,
        )


@dataclass(frozen=True)
class Judgement:
    """A gate's answer. ``ticket`` and ``ticket_type`` are known once the token verified."""

    result: ScanResult
    ticket: VerifiedTicket | None = None
    ticket_type: GateTicketType | None = None
    scans_left: int | None = None
    void_reason: VoidReason | None = None

    @property
    def admits(self) -> bool:
        return self.result is ScanResult.ADMITTED


def judge(gate: Gate, token: str, *, now: datetime, scans_used: int) -> Judgement:
    """Decide a scan at ``now`` of a ticket already admitted ``scans_used`` times."""
    try:
        ticket = verify_ticket_token(token, gate.keys, event_id=gate.event_id, now=now)
    except InvalidToken as refused:
        return Judgement(_RESULT_BY_REJECTION.get(refused.reason, ScanResult.INVALID))
    ticket_type = gate.ticket_type_of(ticket)
    if ticket_type is None:
        return Judgement(ScanResult.INVALID)
    void = _void_reason(gate, ticket)
    if void is not None:
        return Judgement(ScanResult.VOID, ticket, ticket_type, void_reason=void)
    if now < gate.checkin_opens_at:
        return Judgement(ScanResult.NOT_YET_VALID, ticket, ticket_type)
    scans_left = max(0, ticket_type.max_scans - scans_used)
    if scans_left == 0:
        return Judgement(ScanResult.ALREADY_USED, ticket, ticket_type, 0)
    return Judgement(ScanResult.ADMITTED, ticket, ticket_type, scans_left - 1)


def _void_reason(gate: Gate, ticket: VerifiedTicket) -> VoidReason | None:
    if gate.event_cancelled:
        return VoidReason.EVENT_CANCELLED
    try:
        check_revocations(ticket, gate.revocations)
    except InvalidToken as refused:
        return VoidReason(refused.reason)
    return None


def checkin_opens_at(event_starts_at: datetime) -> datetime:
    return event_starts_at - CHECKIN_OPENS_BEFORE_START


# ------------------------------------------------------------ sealed attendees
def seal(token: str, details: Mapping[str, Any]) -> str:
    """``details`` encrypted under a key only the holder of ``token`` can derive."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plaintext = json.dumps(details, separators=(",", ":"), sort_keys=True).encode()
    return (nonce + AESGCM(_seal_key(token)).encrypt(nonce, plaintext, None)).hex()


def unseal(token: str, sealed: str) -> dict[str, Any] | None:
    """The details sealed with ``token``, or None when it is not the token they were
    sealed with (or the text was tampered with)."""
    try:
        raw = bytes.fromhex(sealed)
        opened = AESGCM(_seal_key(token)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
    except (ValueError, InvalidTag):
        return None
    details: dict[str, Any] = json.loads(opened)
    return details


def _seal_key(token: str) -> bytes:
    # The token's bytes end in its Ed25519 signature: 64 bytes nobody can guess
    # without having seen the QR, which makes them the key material.
    material = base45_decode(token) or token.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(material)
