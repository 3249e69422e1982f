"""Ticket tokens: the compact Ed25519-signed QR payload that a gate verifies offline.

Byte layout, format 1 (102 bytes; base45 text of 153 characters; QR version 6 at level M)::

    offset size  field
         0    1  format = 0x01
         1    3  key id = SHA-256(raw 32-byte Ed25519 public key)[:3]
         4   16  ticket id: the raw 16 bytes of the tkt_ ULID (domain/ids.py)
        20    8  event fingerprint = SHA-256(ASCII event id, "evt_...")[:8]
        28    4  ticket type fingerprint = SHA-256(ASCII ticket type id, "tty_...")[:4]
        32    2  ticket version, uint16 big-endian (1 at issue; reissue/transfer bump it)
        34    4  expiry, uint32 big-endian Unix seconds (event end + 1 day)
        38   64  Ed25519 signature over b"admitone/ticket-token\\x00" + bytes 0..37

The text is RFC 9285 base45 of those bytes, so it uses only the QR alphanumeric
characters (``0-9 A-Z``, space and ``$%*+-./:``).

Contract:
- An issuer MUST sign with the active ``ticket`` key (domain/keys.py) and MUST bump the
  ticket version on every reissue or transfer, recording the superseded version in the
  revocation list.
- A token MUST travel verbatim (it is case-sensitive and may contain spaces): as a QR
  code or a JSON string, never unescaped in a URL. It MUST NOT be logged.
- A verifier needs only the public keys (``PublicKeyRing.from_jwks``) and MUST:
  reject text over 160 characters or not base45 (``malformed``); reject a format byte
  other than 1 (``unsupported_format``) and a decoded length other than 102 (``malformed``);
  find the key id among ticket keys only (``unknown_key``); check the signature before
  trusting any field (``bad_signature``); compare the event fingerprint with the event it
  admits to (``wrong_event``); reject ``now >= expiry`` (``expired``); then apply the
  revocation list with ``check_revocations`` (``revoked`` for void tickets,
  ``superseded`` for versions older than the current one).
- A verifier MAY accept retired keys (rotation), MAY map the ticket type fingerprint to
  one of the event's ticket types (``VerifiedTicket.is_of_type``) and MAY verify offline.
- Fingerprints are truncated hashes, not secrets: the signature is what makes them
  trustworthy; their length only has to keep an event's own ids apart.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from admitone.domain.errors import InvalidToken
from admitone.domain.ids import EventId, Prefix, TicketId, TicketTypeId, id_from_bytes, id_to_bytes
from admitone.domain.keys import TICKET_KEY_ID_LENGTH, KeyPurpose, PublicKeyRing, SigningKey

FORMAT_V1 = 1
MAX_TOKEN_CHARS = 160
TOKEN_EXPIRY_AFTER_EVENT_END = timedelta(days=1)
EVENT_FINGERPRINT_LENGTH = 8
TICKET_TYPE_FINGERPRINT_LENGTH = 4
SIGNATURE_LENGTH = 64
MAX_TICKET_VERSION = 0xFFFF
MAX_EXPIRY_SECONDS = 0xFFFF_FFFF

# Fields after the format byte and key id; struct keeps the layout in one line.
_BODY = struct.Struct(f">16s{EVENT_FINGERPRINT_LENGTH}s{TICKET_TYPE_FINGERPRINT_LENGTH}sHI")
_SIGNED_LENGTH = 1 + TICKET_KEY_ID_LENGTH + _BODY.size
TOKEN_BYTES = _SIGNED_LENGTH + SIGNATURE_LENGTH
# Domain separation: a signature made for a ticket token means nothing anywhere else.
_SIGNATURE_CONTEXT = b"admitone/ticket-token\x00"

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {char: value for value, char in enumerate(BASE45_ALPHABET)}


class TokenRejection(StrEnum):
    """Why a token (ticket token or JWT) was refused: ``InvalidToken.reason``."""

    MALFORMED = "malformed"
    UNSUPPORTED_FORMAT = "unsupported_format"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_EVENT = "wrong_event"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    # The authorizer could not read the token's user (the table is down): the request
    # is refused with 503, not 401 (the token may well be good).
    UNCHECKED = "unchecked"
    # JWT only (domain/jwt_tokens.py).
    ALG_NONE = "alg_none"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    FORBIDDEN_HEADER = "forbidden_header"
    MISSING_KID = "missing_kid"
    WRONG_TYP = "wrong_typ"
    WRONG_TOKEN_KIND = "wrong_token_kind"  # noqa: S105 - a reason, not a secret
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIMS = "invalid_claims"


class TicketClaims(BaseModel):
    """What a ticket token asserts. Expiry is whole seconds (sub-seconds are dropped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_id: TicketId
    event_id: EventId
    ticket_type_id: TicketTypeId
    version: int = Field(ge=1, le=MAX_TICKET_VERSION)
    expires_at: AwareDatetime

    @field_validator("expires_at")
    @classmethod
    def _fits_uint32(cls, value: datetime) -> datetime:
        if not 0 <= value.timestamp() <= MAX_EXPIRY_SECONDS:
            raise ValueError("expiry must fit in 32-bit Unix seconds")
        return value


@dataclass(frozen=True)
class VerifiedTicket:
    """The fields of a token whose signature, event and expiry were checked."""

    ticket_id: str
    version: int
    expires_at: datetime
    event_fingerprint: bytes
    ticket_type_fingerprint: bytes
    key_id: str

    def is_of_type(self, ticket_type_id: str) -> bool:
        return self.ticket_type_fingerprint == ticket_type_fingerprint(ticket_type_id)


def event_fingerprint(event_id: str) -> bytes:
    return hashlib.sha256(event_id.encode("ascii")).digest()[:EVENT_FINGERPRINT_LENGTH]


def ticket_type_fingerprint(ticket_type_id: str) -> bytes:
    return hashlib.sha256(ticket_type_id.encode("ascii")).digest()[:TICKET_TYPE_FINGERPRINT_LENGTH]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The last event end whose tickets' expiry still fits 32 bits (early 2106).
_LATEST_EVENT_END = _EPOCH + timedelta(seconds=MAX_EXPIRY_SECONDS) - TOKEN_EXPIRY_AFTER_EVENT_END


def can_carry_event(event_ends_at: datetime) -> bool:
    """Whether tickets can be issued for an event ending at ``event_ends_at``: their
    expiry fits the token (compared, never computed, so that no date overflows)."""
    return _EPOCH - TOKEN_EXPIRY_AFTER_EVENT_END <= event_ends_at <= _LATEST_EVENT_END


def ticket_token_expiry(event_ends_at: datetime) -> datetime:
    """When a ticket's token stops verifying: one day after its event ends."""
    if event_ends_at.tzinfo is None:
        raise ValueError("event_ends_at must be timezone-aware")
    return event_ends_at + TOKEN_EXPIRY_AFTER_EVENT_END


def issue_ticket_token(claims: TicketClaims, key: SigningKey) -> str:
    """Sign ``claims`` with the active ticket key; the result is ≤ 160 base45 characters."""
    if key.purpose is not KeyPurpose.TICKET:
        raise ValueError("ticket tokens are signed with a ticket key")
    signed = (
        bytes([FORMAT_V1])
        + key.public.short_id
        + _BODY.pack(
            id_to_bytes(claims.ticket_id, Prefix.TICKET),
            event_fingerprint(claims.event_id),
            ticket_type_fingerprint(claims.ticket_type_id),
            claims.version,
            int(claims.expires_at.timestamp()),
        )
    )
    return base45_encode(signed + key.sign(_SIGNATURE_CONTEXT + signed))


def verify_ticket_token(
    token: str, keys: PublicKeyRing, *, event_id: str, now: datetime
) -> VerifiedTicket:
    """Check a scanned token for admission to ``event_id`` at ``now``.

    Raises ``InvalidToken`` with a ``TokenRejection`` reason (see the module contract).
    Does not consult the revocation list: call ``check_revocations`` next.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken(TokenRejection.MALFORMED)
    data = base45_decode(token)
    if data is None or not data:
        raise InvalidToken(TokenRejection.MALFORMED)
    if data[0] != FORMAT_V1:
        raise InvalidToken(TokenRejection.UNSUPPORTED_FORMAT)
    if len(data) != TOKEN_BYTES:
        raise InvalidToken(TokenRejection.MALFORMED)
    signed, signature = data[:_SIGNED_LENGTH], data[_SIGNED_LENGTH:]
    key = keys.ticket_key(signed[1 : 1 + TICKET_KEY_ID_LENGTH])
    if key is None:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    try:
        key.key.verify(signature, _SIGNATURE_CONTEXT + signed)
    except InvalidSignature:
        raise InvalidToken(TokenRejection.BAD_SIGNATURE) from None
    ticket_raw, event_fp, type_fp, version, expiry = _BODY.unpack(
        signed[1 + TICKET_KEY_ID_LENGTH :]
    )
    if event_fp != event_fingerprint(event_id):
        raise InvalidToken(TokenRejection.WRONG_EVENT, "The ticket is for another event.")
    expires_at = datetime.fromtimestamp(expiry, tz=UTC)
    if now >= expires_at:
        raise InvalidToken(TokenRejection.EXPIRED, "The ticket has expired.")
    return VerifiedTicket(
        ticket_id=id_from_bytes(ticket_raw, Prefix.TICKET),
        version=version,
        expires_at=expires_at,
        event_fingerprint=event_fp,
        ticket_type_fingerprint=type_fp,
        key_id=key.kid,
    )


def check_revocations(ticket: VerifiedTicket, revocations: Mapping[str, int | None]) -> None:
    """Apply the void/reissued list: ticket id -> ``None`` (void) or its current version.

    A version newer than the list's is accepted: the list (an offline bundle) is stale.
    """
    if ticket.ticket_id not in revocations:
        return
    current = revocations[ticket.ticket_id]
    if current is None:
        raise InvalidToken(TokenRejection.REVOKED, "The ticket is void.")
    if ticket.version < current:
        raise InvalidToken(TokenRejection.SUPERSEDED, "The ticket was reissued.")


def base45_encode(data: bytes) -> str:
    """RFC 9285 base45: every 2 bytes become 3 characters, a last odd byte 2."""
    chars: list[str] = []
    for index in range(0, len(data) - 1, 2):
        value = (data[index] << 8) | data[index + 1]
        value, low = divmod(value, 45)
        high, middle = divmod(value, 45)
        chars += (BASE45_ALPHABET[low], BASE45_ALPHABET[middle], BASE45_ALPHABET[high])
    if len(data) % 2:
        high, low = divmod(data[-1], 45)
        chars += (BASE45_ALPHABET[low], BASE45_ALPHABET[high])
    return "".join(chars)


def base45_decode(text: str) -> bytes | None:
    """Strict RFC 9285 decoding; ``None`` for any text that no bytes encode to."""
    digits: list[int] = []
    for char in text:
        digit = _BASE45_VALUE.get(char)
        if digit is None:
            return None
        digits.append(digit)
    full, rest = divmod(len(digits), 3)
    if rest == 1:
        return None
    out = bytearray()
    for index in range(0, full * 3, 3):
        value = digits[index] + digits[index + 1] * 45 + digits[index + 2] * 2025
        if value > 0xFFFF:
            return None
        out += value.to_bytes(2, "big")
    if rest:
        value = digits[-2] + digits[-1] * 45
        if value > 0xFF:
            return None
        out.append(value)
    return bytes(out)
