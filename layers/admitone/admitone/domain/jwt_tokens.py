"""Typed EdDSA JWTs: access, registration-link, email-verification, password-reset, queue.

Contract:
- Every token is a JWS signed with the active ``jwt`` key (Ed25519). Its protected header
  is exactly ``alg``, ``typ`` and ``kid``; a verifier MUST refuse any other header (``jku``,
  ``x5u``, ``jwk``, ``x5c``, ``crit``, ...): keys come only from the key set, never from
  the token.
- ``alg`` is pinned to the two names of Ed25519 signatures: ``EdDSA`` (RFC 8037, which we
  issue and the JWKS names) and ``Ed25519`` (RFC 9864's fully-specified name, which
  deprecates ``EdDSA``; accepted so that issuing it later breaks no verifier of ours).
  ``none`` and every other algorithm (HS256 with the public key as the secret, RS256,
  Ed448, ...) MUST be refused before any key is chosen.
- ``kid`` MUST be present and name a known ``jwt`` key (retired keys still verify).
- Each kind has its own ``typ`` and ``aud`` (``PROFILES``), so no token can be used as
  another kind: a verifier names the kind it expects and both MUST match.
- ``iss``, ``aud``, ``sub``, ``jti``, ``iat``, ``nbf`` and ``exp`` are required. Times are
  integer Unix seconds checked against the caller's clock with 60 s leeway: expired when
  ``exp <= now - 60``, refused when ``nbf`` or ``iat`` is after ``now + 60``.
- Claims other than the registered ones and the kind's own fields are refused.
- One-time use (queue and password-reset tokens) and revocation are the services' job:
  they record ``jti`` until ``exp``; a password-reset token is also spent by any change
  of the password it names (``pwv``). Tokens MUST NOT be logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from admitone.domain.errors import InvalidToken
from admitone.domain.ids import EventId, OrderId, UserId
from admitone.domain.keys import JWK_ALGORITHMS, KeyPurpose, KeySet, PublicKeyRing, b64url_encode
from admitone.domain.tokens import TokenRejection

# What we sign with is what the JWKS publishes for the key: a JOSE library refuses a
# key whose ``alg`` differs from the token's. Switch both (keys.JWK_ALGORITHMS) to
# ``Ed25519`` once verifiers can take it: pyjwt 2.15 has no ``Ed25519`` of its own
# (jpadilla/pyjwt#1190), so its users could neither verify such a token nor load the key.
ALGORITHM = JWK_ALGORITHMS[KeyPurpose.JWT]
FULLY_SPECIFIED_ALGORITHM = "Ed25519"
ACCEPTED_ALGORITHMS = ("EdDSA", FULLY_SPECIFIED_ALGORITHM)
LEEWAY = timedelta(seconds=60)
MAX_JWT_CHARS = 4096
_ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})
_REGISTERED_CLAIMS = ("iss", "aud", "sub", "jti", "iat", "nbf", "exp")
# ``sub`` is registered but each kind types it (a user id, an order id).
_NOT_KIND_CLAIMS = frozenset(_REGISTERED_CLAIMS) - {"sub"}


class _Ed25519Algorithm(OKPAlgorithm):
    """RFC 9864 ``Ed25519``: EdDSA over Ed25519 keys only (pyjwt's EdDSA also takes Ed448)."""

    _crypto_key_types = (Ed25519PrivateKey, Ed25519PublicKey)


def _teach_pyjwt_the_fully_specified_name() -> None:
    try:
        jwt.get_algorithm_by_name(FULLY_SPECIFIED_ALGORITHM)
    except NotImplementedError:
        jwt.register_algorithm(FULLY_SPECIFIED_ALGORITHM, _Ed25519Algorithm())


_teach_pyjwt_the_fully_specified_name()


class TokenKind(StrEnum):
    ACCESS = "access"
    REGISTRATION = "registration"
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a token kind, not a secret
    QUEUE = "queue"


@dataclass(frozen=True)
class KindProfile:
    """``typ`` header, ``aud`` claim and lifetime of one kind (``None``: the caller sets it)."""

    typ: str
    audience: str
    lifetime: timedelta | None


PROFILES: Mapping[TokenKind, KindProfile] = {
    # RFC 9068 names the access-token type; the others follow its pattern.
    TokenKind.ACCESS: KindProfile("at+jwt", "admitone:api", timedelta(minutes=15)),
    TokenKind.REGISTRATION: KindProfile("registration+jwt", "admitone:registration", None),
    TokenKind.EMAIL_VERIFICATION: KindProfile(
        "email-verification+jwt", "admitone:email-verification", timedelta(hours=24)
    ),
    TokenKind.PASSWORD_RESET: KindProfile(
        "password-reset+jwt", "admitone:password-reset", timedelta(minutes=30)
    ),
    TokenKind.QUEUE: KindProfile("queue+jwt", "admitone:queue", timedelta(minutes=10)),
}
_KIND_BY_TYP = {profile.typ: kind for kind, profile in PROFILES.items()}


class Role(StrEnum):
    BUYER = "buyer"
    ORGANIZER = "organizer"
    STAFF = "staff"
    ADMIN = "admin"


class JwtClaims(BaseModel):
    """The kind-specific claims; registered claims (iss, aud, times, jti) are added at issue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[TokenKind]
    sub: str


class AccessClaims(JwtClaims):
    kind: ClassVar[TokenKind] = TokenKind.ACCESS
    sub: UserId
    roles: tuple[Role, ...] = Field(min_length=1)
    email: str = Field(min_length=3, max_length=254)


class RegistrationClaims(JwtClaims):
    """The link a purchaser follows to name the attendees of an order's tickets."""

    kind: ClassVar[TokenKind] = TokenKind.REGISTRATION
    sub: OrderId


class EmailVerificationClaims(JwtClaims):
    """``eml`` is ``email_fingerprint`` of the address: the token dies if the address changes."""

    kind: ClassVar[TokenKind] = TokenKind.EMAIL_VERIFICATION
    sub: UserId
    eml: str = Field(min_length=43, max_length=43)


class PasswordResetClaims(JwtClaims):
    """``pwv`` is the user's ``password_version`` when the link was sent: the link may
    replace that password only, so any change of it ends every link sent before."""

    kind: ClassVar[TokenKind] = TokenKind.PASSWORD_RESET
    sub: UserId
    pwv: int = Field(ge=0)


class QueueClaims(JwtClaims):
    """Waiting-room admission: one order for ``evt`` by ``sub``, consumed with the order."""

    kind: ClassVar[TokenKind] = TokenKind.QUEUE
    sub: UserId
    evt: EventId
    scope: Literal["queue"] = "queue"


@dataclass(frozen=True)
class IssuedJwt:
    """A fresh token and what a service stores to make it one-time or revocable."""

    token: str = field(repr=False)
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class VerifiedJwt[C: JwtClaims]:
    claims: C
    token_id: str
    key_id: str
    issued_at: datetime
    expires_at: datetime


def email_fingerprint(email: str) -> str:
    """Unpadded base64url SHA-256 of the trimmed, lower-cased address (43 characters)."""
    return b64url_encode(hashlib.sha256(email.strip().lower().encode("utf-8")).digest())


def issue_jwt(
    claims: JwtClaims,
    *,
    keys: KeySet,
    issuer: str,
    now: datetime,
    expires_at: datetime | None = None,
    token_id: str | None = None,
) -> IssuedJwt:
    """Sign ``claims`` as its kind; ``expires_at`` is given for registration links only."""
    profile = PROFILES[claims.kind]
    if profile.lifetime is None:
        if expires_at is None or expires_at <= now:
            raise ValueError(f"a {claims.kind.value} token needs an expires_at after now")
        expiry = expires_at
    elif expires_at is not None:
        raise ValueError(f"a {claims.kind.value} token lives {profile.lifetime}")
    else:
        expiry = now + profile.lifetime
    key = keys.signing_key(KeyPurpose.JWT)
    jti = token_id or secrets.token_urlsafe(16)
    issued = int(now.timestamp())
    payload = {
        **claims.model_dump(mode="json"),
        "iss": issuer,
        "aud": profile.audience,
        "jti": jti,
        "iat": issued,
        "nbf": issued,
        "exp": int(expiry.timestamp()),
    }
    token = jwt.encode(
        payload,
        key.private_key,
        algorithm=ALGORITHM,
        headers={"kid": key.kid, "typ": profile.typ},
    )
    return IssuedJwt(
        token=token,
        token_id=jti,
        expires_at=datetime.fromtimestamp(payload["exp"], tz=UTC),
    )


class _Registered(BaseModel):
    # Strict: a float or a bool where an integer time belongs is a forgery or a bug.
    model_config = ConfigDict(strict=True, extra="ignore")

    jti: str = Field(min_length=1, max_length=128)
    iat: int
    nbf: int
    exp: int


# pyjwt errors by most specific class first (InvalidSignatureError is a DecodeError).
_REASON_BY_ERROR: Mapping[type[jwt.PyJWTError], TokenRejection] = {
    jwt.InvalidSignatureError: TokenRejection.BAD_SIGNATURE,
    jwt.MissingRequiredClaimError: TokenRejection.MISSING_CLAIM,
    jwt.InvalidAudienceError: TokenRejection.WRONG_AUDIENCE,
    jwt.InvalidIssuerError: TokenRejection.WRONG_ISSUER,
}


def _reason_for(error: jwt.PyJWTError) -> TokenRejection:
    for cls in type(error).__mro__:
        if cls in _REASON_BY_ERROR:
            return _REASON_BY_ERROR[cls]
    return TokenRejection.MALFORMED


def _checked_header(token: str, profile: KindProfile) -> str:
    """Everything decided from the unverified header; returns the kid to look up."""
    if len(token) > MAX_JWT_CHARS:
        raise InvalidToken(TokenRejection.MALFORMED)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken(TokenRejection.MALFORMED) from None
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        raise InvalidToken(TokenRejection.ALG_NONE)
    if alg not in ACCEPTED_ALGORITHMS:
        raise InvalidToken(TokenRejection.ALG_NOT_ALLOWED)
    if header.keys() - _ALLOWED_HEADERS:
        raise InvalidToken(TokenRejection.FORBIDDEN_HEADER)
    typ = header.get("typ")
    normalized = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    if normalized != profile.typ:
        reason = TokenRejection.WRONG_TYP
        if normalized in _KIND_BY_TYP:
            reason = TokenRejection.WRONG_TOKEN_KIND
        raise InvalidToken(reason)
    kid = header.get("kid")
    if kid is None:
        raise InvalidToken(TokenRejection.MISSING_KID)
    # pyjwt already refused a kid that is not a string.
    return str(kid)


def verify_jwt[C: JwtClaims](
    token: str,
    claims_type: type[C],
    *,
    keys: PublicKeyRing,
    issuer: str,
    now: datetime,
    leeway: timedelta = LEEWAY,
) -> VerifiedJwt[C]:
    """Verify ``token`` as a ``claims_type`` token; raise ``InvalidToken`` with the reason.

    Time is checked here rather than by pyjwt so that the clock is the caller's ``now``.
    """
    profile = PROFILES[claims_type.kind]
    kid = _checked_header(token, profile)
    key = keys.verification_key(kid)
    if key is None or key.purpose is not KeyPurpose.JWT:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=list(ACCEPTED_ALGORITHMS),
            audience=profile.audience,
            issuer=issuer,
            options={
                "require": list(_REGISTERED_CLAIMS),
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "strict_aud": True,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(_reason_for(exc)) from None
    try:
        registered = _Registered.model_validate(payload)
    except ValidationError:
        raise InvalidToken(TokenRejection.INVALID_CLAIMS) from None
    moment = now.timestamp()
    slack = leeway.total_seconds()
    if registered.exp <= moment - slack:
        raise InvalidToken(TokenRejection.EXPIRED, "The token has expired.")
    if registered.nbf > moment + slack:
        raise InvalidToken(TokenRejection.NOT_YET_VALID)
    if registered.iat > moment + slack:
        raise InvalidToken(TokenRejection.ISSUED_IN_FUTURE)
    own = {name: value for name, value in payload.items() if name not in _NOT_KIND_CLAIMS}
    try:
        claims = claims_type.model_validate(own)
    except ValidationError:
        raise InvalidToken(TokenRejection.INVALID_CLAIMS) from None
    return VerifiedJwt(
        claims=claims,
        token_id=registered.jti,
        key_id=kid,
        issued_at=datetime.fromtimestamp(registered.iat, tz=UTC),
        expires_at=datetime.fromtimestamp(registered.exp, tz=UTC),
    )
