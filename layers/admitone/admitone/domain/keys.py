"""Ed25519 signing keys: the secret document, the typed key set and the public JWKS.

The secret document (Secrets Manager, JSON) is::

    {"keys": [{"kid": "tkt-20261123-ab12", "purpose": "ticket", "alg": "Ed25519",
               "private_key": "<base64url, unpadded, of the 32-byte raw private key>",
               "status": "active"}, ...]}

Invariants (checked by ``KeySet.from_document``):
- ``kid`` is unique, 1-64 characters of ``[A-Za-z0-9._-]`` (it travels in JWT headers).
- ``purpose`` is ``jwt`` or ``ticket``; every purpose present has exactly one ``active``
  key, which signs; ``retired`` keys only verify. Members this module does not know are
  ignored, so that adding a note to the secret cannot take signing down.
- Ticket keys also have a 3-byte short id, ``SHA-256(raw public key)[:3]``, carried in
  every ticket token; two ticket keys in one set may not share it.
- Keep a retired ticket key until every ticket it signed has expired (event end + 1 day);
  keep a retired JWT key for the longest JWT lifetime (a registration link: up to the
  registration deadline).

Private key material never appears in ``repr``, in error messages or in the JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TICKET_KEY_ID_LENGTH = 3
_KID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# 32 bytes in unpadded base64url is 43 characters.
_RAW_KEY_B64 = re.compile(r"^[A-Za-z0-9_-]{43}$")


class KeyPurpose(StrEnum):
    JWT = "jwt"
    TICKET = "ticket"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


_KID_PREFIX = {KeyPurpose.JWT: "jwt", KeyPurpose.TICKET: "tkt"}

# The ``alg`` each key publishes in the JWKS (RFC 7517: the algorithm used with the key).
# JWT keys name what access tokens carry (see jwt_tokens: ``EdDSA`` until verifiers take
# RFC 9864's ``Ed25519``). Ticket keys sign no JWS, only our own compact ticket tokens, so
# they take the fully-specified name, which no JOSE library warns about.
JWK_ALGORITHMS: Mapping[KeyPurpose, str] = {
    KeyPurpose.JWT: "EdDSA",
    KeyPurpose.TICKET: "Ed25519",
}


class KeySetError(ValueError):
    """The key document or JWKS is malformed. The message names fields, never values."""


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode_key(text: str) -> bytes:
    """Strictly decode 32 raw key bytes from canonical unpadded base64url."""
    if not _RAW_KEY_B64.match(text):
        raise ValueError("must be unpadded base64url of 32 bytes")
    raw = base64.urlsafe_b64decode(text + "=")
    # A non-zero low bit in the last character decodes to the same bytes: refuse it,
    # so a key has exactly one spelling.
    if b64url_encode(raw) != text:
        raise ValueError("must be canonical base64url")
    return raw


def ticket_key_id(public_raw: bytes) -> bytes:
    """The short id a ticket token carries: the first 3 bytes of SHA-256(raw public key)."""
    return hashlib.sha256(public_raw).digest()[:TICKET_KEY_ID_LENGTH]


@dataclass(frozen=True)
class PublicKey:
    """One verification key; for ticket keys ``short_id`` is what tokens carry."""

    kid: str
    purpose: KeyPurpose
    raw: bytes = field(repr=False)
    key: Ed25519PublicKey = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, kid: str, purpose: KeyPurpose, raw: bytes) -> PublicKey:
        return cls(kid=kid, purpose=purpose, raw=raw, key=Ed25519PublicKey.from_public_bytes(raw))

    @property
    def short_id(self) -> bytes:
        return ticket_key_id(self.raw)

    def to_jwk(self) -> dict[str, Any]:
        """RFC 8037 OKP key; ``purpose`` is a private member telling JWT keys from ticket keys."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.raw),
            "kid": self.kid,
            "use": "sig",
            "alg": JWK_ALGORITHMS[self.purpose],
            "purpose": self.purpose.value,
        }


@dataclass(frozen=True)
class SigningKey:
    """The active private key of one purpose."""

    kid: str
    purpose: KeyPurpose
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    public: PublicKey

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


class PublicKeyRing:
    """Verification keys by kid (and ticket keys by short id): all an offline verifier needs."""

    def __init__(self, keys: Iterable[PublicKey]) -> None:
        by_kid: dict[str, PublicKey] = {}
        by_short_id: dict[bytes, PublicKey] = {}
        for key in keys:
            if key.kid in by_kid:
                raise KeySetError(f"duplicate kid {key.kid!r}")
            by_kid[key.kid] = key
            if key.purpose is KeyPurpose.TICKET:
                if key.short_id in by_short_id:
                    raise KeySetError(f"ticket keys {key.kid!r} share a short id: rotate one")
                by_short_id[key.short_id] = key
        self._by_kid = by_kid
        self._by_short_id = by_short_id

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> PublicKeyRing:
        """Parse a JWKS as ``public_jwks()`` writes it (what a gate device downloads)."""
        try:
            parsed = _JwksDocument.model_validate(document)
            return cls(
                PublicKey.from_raw(jwk.kid, jwk.purpose, b64url_decode_key(jwk.x))
                for jwk in parsed.keys
            )
        except ValidationError as exc:
            raise KeySetError(f"JWKS is invalid: {_locations(exc)}") from None
        except ValueError as exc:
            raise KeySetError(f"JWKS is invalid: {exc}") from None

    def verification_keys(self) -> tuple[PublicKey, ...]:
        """Every verification key, ordered by kid."""
        return tuple(sorted(self._by_kid.values(), key=_kid))

    def verification_key(self, kid: str) -> PublicKey | None:
        return self._by_kid.get(kid)

    def ticket_key(self, short_id: bytes) -> PublicKey | None:
        return self._by_short_id.get(short_id)

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [key.to_jwk() for key in self.verification_keys()]}


class KeySet(PublicKeyRing):
    """The private key set: one signing key per purpose plus every key that verifies."""

    def __init__(
        self, signing: Mapping[KeyPurpose, SigningKey], retired: Iterable[PublicKey]
    ) -> None:
        super().__init__([*(key.public for key in signing.values()), *retired])
        self._signing = dict(signing)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> KeySet:
        """Parse the secret document; raise ``KeySetError`` naming the problem, never a value."""
        try:
            parsed = _KeyDocument.model_validate(document)
        except ValidationError as exc:
            raise KeySetError(f"signing key document is invalid: {_locations(exc)}") from None
        signing: dict[KeyPurpose, SigningKey] = {}
        retired: list[PublicKey] = []
        purposes: set[KeyPurpose] = set()
        for entry in parsed.keys:
            purposes.add(entry.purpose)
            private = Ed25519PrivateKey.from_private_bytes(entry.raw_private_key())
            public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            public = PublicKey.from_raw(entry.kid, entry.purpose, public_raw)
            if entry.status is KeyStatus.RETIRED:
                retired.append(public)
            elif entry.purpose in signing:
                raise KeySetError(f"more than one active {entry.purpose.value} key")
            else:
                signing[entry.purpose] = SigningKey(
                    kid=entry.kid, purpose=entry.purpose, private_key=private, public=public
                )
        missing = sorted(purpose.value for purpose in purposes - signing.keys())
        if missing:
            raise KeySetError(f"no active key for: {', '.join(missing)}")
        return cls(signing, retired)

    def signing_key(self, purpose: KeyPurpose) -> SigningKey:
        """The active key of ``purpose``; ``LookupError`` if the set has none."""
        try:
            return self._signing[purpose]
        except KeyError:
            raise LookupError(f"no active {purpose.value} signing key") from None

    def public_keys(self) -> PublicKeyRing:
        """The public half alone, e.g. to hand to code that must not be able to sign."""
        return PublicKeyRing(self.verification_keys())


def _kid(key: PublicKey) -> str:
    return key.kid


def _locations(exc: ValidationError) -> str:
    # include_input=False: a pydantic error would otherwise quote the private key.
    return "; ".join(
        ".".join(str(part) for part in error["loc"]) + ": " + error["msg"]
        for error in exc.errors(include_input=False, include_url=False, include_context=False)
    )


class _KeyEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    kid: str = Field(pattern=_KID_PATTERN)
    purpose: KeyPurpose
    alg: Literal["Ed25519"]
    private_key: str = Field(repr=False)
    status: KeyStatus

    @field_validator("private_key")
    @classmethod
    def _canonical_raw_key(cls, value: str) -> str:
        b64url_decode_key(value)
        return value

    def raw_private_key(self) -> bytes:
        return b64url_decode_key(self.private_key)


class _KeyDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    keys: tuple[_KeyEntry, ...] = Field(min_length=1)


class _Jwk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    kid: str = Field(pattern=_KID_PATTERN)
    x: str
    purpose: KeyPurpose


class _JwksDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    keys: tuple[_Jwk, ...]


def _new_entry(
    purpose: KeyPurpose, now: datetime, taken: Iterable[PublicKey] = ()
) -> dict[str, str]:
    taken_kids = {key.kid for key in taken}
    taken_short_ids = {key.short_id for key in taken if key.purpose is KeyPurpose.TICKET}
    while True:
        private = Ed25519PrivateKey.generate()
        public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        kid = f"{_KID_PREFIX[purpose]}-{now:%Y%m%d}-{public_raw[:2].hex()}"
        # Both the kid (2 bytes of the key) and a ticket key's 3-byte short id can collide
        # with a key still in the set; draw again rather than write a set that fails to load.
        if kid in taken_kids or (
            purpose is KeyPurpose.TICKET and ticket_key_id(public_raw) in taken_short_ids
        ):
            continue
        return {
            "kid": kid,
            "purpose": purpose.value,
            "alg": "Ed25519",
            "private_key": b64url_encode(private.private_bytes_raw()),
            "status": KeyStatus.ACTIVE.value,
        }


def generate_keyset_document(
    purposes: Iterable[KeyPurpose | str] = (KeyPurpose.JWT, KeyPurpose.TICKET),
    *,
    now: datetime,
) -> dict[str, Any]:
    """A fresh secret document with one active key per purpose (dev stacks, first deploy).

    The kid is ``<jwt|tkt>-<YYYYMMDD of now>-<4 hex of the public key>``.
    """
    entries: list[dict[str, str]] = []
    for purpose in dict.fromkeys(KeyPurpose(value) for value in purposes):
        entries.append(_new_entry(purpose, now))
    if not entries:
        raise ValueError("generate_keyset_document needs at least one purpose")
    return {"keys": entries}


def rotate_keyset_document(
    document: Mapping[str, Any], purpose: KeyPurpose | str, *, now: datetime
) -> dict[str, Any]:
    """A copy of ``document`` where ``purpose``'s active key is retired and a new one signs.

    Pruning old retired keys is a separate, deliberate step (see the module docstring).
    """
    target = KeyPurpose(purpose)
    new_entry = _new_entry(target, now, KeySet.from_document(document).verification_keys())
    entries = [dict(entry) for entry in document["keys"]]
    for entry in entries:
        if entry["purpose"] == target.value and entry["status"] == KeyStatus.ACTIVE.value:
            entry["status"] = KeyStatus.RETIRED.value
    return {**document, "keys": [*entries, new_entry]}
