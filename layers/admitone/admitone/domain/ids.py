"""Entity ids: ``<prefix>_<ULID>``, sortable by creation time and unguessable.

Contract:
- An id MUST be a registered ``Prefix``, ``_``, then a 26-character ULID in Crockford
  base32 upper case (``0-9A-Z`` without I, L, O, U): 48 bits of Unix milliseconds then
  80 bits from ``secrets``. The first ULID character is therefore ``0``-``7``.
- Ids MUST be compared and stored in this canonical form only. Parsing is strict: no
  lower case, no Crockford look-alike folding (I/L -> 1, O -> 0), no surrounding space,
  so one entity never has two spellings (two DynamoDB keys).
- Ids of one kind sort by creation millisecond; within one millisecond they MAY sort in
  any order (no monotonic counter: it would need shared state).
- The 16 raw bytes (``id_to_bytes``) are the big-endian 128-bit ULID; the prefix is not
  part of them, so the caller names the kind when converting back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from admitone.domain.errors import FieldError, InvalidId

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26
RAW_ID_LENGTH = 16
_RANDOM_BYTES = 10
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_DECODE = {char: value for value, char in enumerate(CROCKFORD_ALPHABET)}
ULID_PATTERN = f"[0-7][{CROCKFORD_ALPHABET}]{{{ULID_LENGTH - 1}}}"


class Prefix(StrEnum):
    """Every id kind in the system: add a member here, never invent a prefix elsewhere."""

    USER = "usr"
    VENUE = "ven"
    EVENT = "evt"
    TICKET_TYPE = "tty"
    ORDER = "ord"
    TICKET = "tkt"
    PAYMENT = "pay"
    REFUND = "rfd"
    PAYOUT = "pyo"
    RESALE_LISTING = "lst"
    ESCROW = "esc"
    GROUP_ORDER = "grp"
    DEVICE = "dev"
    SCAN = "scn"
    SESSION = "ses"
    CAPACITY_POOL = "pool"
    OUTBOX = "obx"
    WEBHOOK_ENDPOINT = "whk"


def id_pattern(prefix: Prefix) -> str:
    """The anchored regular expression of a canonical id of kind ``prefix``."""
    return f"^{prefix.value}_{ULID_PATTERN}$"


# Typed fields for pydantic models: validation and the OpenAPI ``pattern`` in one place.
UserId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.USER))]
VenueId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.VENUE))]
EventId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.EVENT))]
TicketTypeId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.TICKET_TYPE))]
OrderId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.ORDER))]
TicketId = Annotated[str, StringConstraints(pattern=id_pattern(Prefix.TICKET))]


@dataclass(frozen=True)
class ParsedId:
    """A validated id taken apart."""

    prefix: Prefix
    ulid: str
    raw: bytes

    @property
    def created_at(self) -> datetime:
        """The millisecond the id was minted (UTC)."""
        return _EPOCH + int.from_bytes(self.raw[:6], "big") * _MILLISECOND

    def __str__(self) -> str:
        return f"{self.prefix.value}_{self.ulid}"


def _encode_ulid(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    chars = [CROCKFORD_ALPHABET[(value >> shift) & 0x1F] for shift in range(125, -1, -5)]
    return "".join(chars)


def _decode_ulid(text: str) -> bytes | None:
    if len(text) != ULID_LENGTH or text[0] > "7":
        return None
    value = 0
    for char in text:
        digit = _DECODE.get(char)
        if digit is None:
            return None
        value = (value << 5) | digit
    return value.to_bytes(RAW_ID_LENGTH, "big")


def new_id(prefix: Prefix, *, now: datetime | None = None) -> str:
    """A fresh id of kind ``prefix``, timestamped ``now`` (default: the current time)."""
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("new_id needs a timezone-aware datetime")
    # timedelta arithmetic is exact; timestamp() * 1000 rounds far from 1970.
    millis = (moment - _EPOCH) // _MILLISECOND
    # 48 bits of milliseconds last until the year 10889, past datetime.max: only the
    # lower bound can be broken.
    if millis < 0:
        raise ValueError("new_id needs a time after 1970")
    raw = millis.to_bytes(6, "big") + secrets.token_bytes(_RANDOM_BYTES)
    return f"{prefix.value}_{_encode_ulid(raw)}"


def parse_id(value: str, prefix: Prefix | None = None, *, field: str = "id") -> ParsedId:
    """Take a canonical id apart; ``prefix`` (if given) is the kind it must be.

    Raises ``InvalidId`` naming ``field``. The message never echoes the input.
    """
    kind, separator, ulid = value.partition("_")
    expected = f"a {prefix.value}_ id" if prefix is not None else "an id"
    try:
        parsed_prefix = Prefix(kind)
    except ValueError:
        parsed_prefix = None
    raw = _decode_ulid(ulid) if separator else None
    if parsed_prefix is None or raw is None or (prefix is not None and parsed_prefix != prefix):
        raise InvalidId(
            f"{field} is not {expected}.",
            errors=(FieldError(field=field, message=f"must be {expected}", code=InvalidId.code),),
        )
    return ParsedId(prefix=parsed_prefix, ulid=ulid, raw=raw)


def is_id(value: object, prefix: Prefix) -> bool:
    """Whether ``value`` is a canonical id of kind ``prefix``."""
    if not isinstance(value, str):
        return False
    try:
        parse_id(value, prefix)
    except InvalidId:
        return False
    return True


def id_to_bytes(value: str, prefix: Prefix) -> bytes:
    """The 16 raw bytes of an id of kind ``prefix`` (raises ``InvalidId``)."""
    return parse_id(value, prefix).raw


def id_from_bytes(raw: bytes, prefix: Prefix) -> str:
    """The canonical id of kind ``prefix`` whose raw bytes are ``raw`` (16 bytes)."""
    if len(raw) != RAW_ID_LENGTH:
        raise ValueError(f"an id has {RAW_ID_LENGTH} raw bytes, got {len(raw)}")
    return f"{prefix.value}_{_encode_ulid(raw)}"
