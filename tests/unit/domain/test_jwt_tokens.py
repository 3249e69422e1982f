"""Typed EdDSA JWTs: each kind round-trips, and every forgery or misuse has its own reason."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from admitone.domain.errors import InvalidToken
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import (
    LEEWAY,
    PROFILES,
    AccessClaims,
    EmailVerificationClaims,
    IssuedJwt,
    JwtClaims,
    PasswordResetClaims,
    QueueClaims,
    RegistrationClaims,
    Role,
    TokenKind,
    email_fingerprint,
    issue_jwt,
    verify_jwt,
)
from admitone.domain.keys import (
    KeyPurpose,
    KeySet,
    PublicKeyRing,
    generate_keyset_document,
    rotate_keyset_document,
)
from admitone.domain.tokens import (
    TicketClaims,
    TokenRejection,
    issue_ticket_token,
    ticket_token_expiry,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ISSUER = "https://api.admitone.test"
DOCUMENT = generate_keyset_document(now=NOW)
KEYS = KeySet.from_document(DOCUMENT)
PUBLIC = KEYS.public_keys()
JWT_KEY = KEYS.signing_key(KeyPurpose.JWT)
USER_ID = new_id(Prefix.USER, now=NOW)
EVENT_ID = new_id(Prefix.EVENT, now=NOW)
ORDER_ID = new_id(Prefix.ORDER, now=NOW)
DEADLINE = NOW + timedelta(days=20)

ACCESS = AccessClaims(sub=USER_ID, roles=(Role.BUYER, Role.ORGANIZER), email="ada@example.com")
REGISTRATION = RegistrationClaims(sub=ORDER_ID)
QUEUE = QueueClaims(sub=USER_ID, evt=EVENT_ID)


def _issue(claims: JwtClaims, **kwargs: Any) -> str:
    arguments: dict[str, Any] = {"keys": KEYS, "issuer": ISSUER, "now": NOW} | kwargs
    return issue_jwt(claims, **arguments).token


def _verify[C: JwtClaims](token: str, claims_type: type[C], **kwargs: Any) -> C:
    arguments: dict[str, Any] = {"keys": PUBLIC, "issuer": ISSUER, "now": NOW} | kwargs
    return verify_jwt(token, claims_type, **arguments).claims


def _rejection(token: str, claims_type: type[JwtClaims] = AccessClaims, **kwargs: Any) -> str:
    with pytest.raises(InvalidToken) as raised:
        _verify(token, claims_type, **kwargs)
    return raised.value.reason


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _access_payload(**changes: Any) -> dict[str, Any]:
    issued = int(NOW.timestamp())
    payload: dict[str, Any] = {
        "sub": USER_ID,
        "roles": ["buyer"],
        "email": "ada@example.com",
        "iss": ISSUER,
        "aud": PROFILES[TokenKind.ACCESS].audience,
        "jti": "j-1",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
    }
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def _forge(
    *,
    payload: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    key: Any = None,
    algorithm: str = "EdDSA",
) -> str:
    """Sign like a well-behaved issuer would, with whatever the test changes."""
    return jwt.encode(
        payload if payload is not None else _access_payload(),
        JWT_KEY.private_key if key is None else key,
        algorithm=algorithm,
        headers={"kid": JWT_KEY.kid, "typ": "at+jwt"} | (headers or {}),
    )


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(header)}.{_b64(payload)}."


# --- round trips -------------------------------------------------------------------------


def test_an_access_token_round_trips() -> None:
    issued = issue_jwt(ACCESS, keys=KEYS, issuer=ISSUER, now=NOW)

    verified = verify_jwt(issued.token, AccessClaims, keys=PUBLIC, issuer=ISSUER, now=NOW)

    assert verified.claims == ACCESS
    assert verified.token_id == issued.token_id
    assert verified.key_id == JWT_KEY.kid
    assert verified.issued_at == NOW
    assert verified.expires_at == issued.expires_at == NOW + timedelta(minutes=15)


def test_the_header_is_exactly_alg_typ_and_kid() -> None:
    header = jwt.get_unverified_header(_issue(ACCESS))

    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": JWT_KEY.kid}


@pytest.mark.parametrize(
    ("claims", "lifetime"),
    [
        (QUEUE, timedelta(minutes=10)),
        (PasswordResetClaims(sub=USER_ID, pwv=0), timedelta(minutes=30)),
        (
            EmailVerificationClaims(sub=USER_ID, eml=email_fingerprint("Ann@Example.org")),
            timedelta(hours=24),
        ),
    ],
)
def test_each_fixed_lifetime_kind_round_trips(claims: JwtClaims, lifetime: timedelta) -> None:
    issued = issue_jwt(claims, keys=KEYS, issuer=ISSUER, now=NOW, token_id="jti-fixed")

    verified = verify_jwt(issued.token, type(claims), keys=PUBLIC, issuer=ISSUER, now=NOW)

    assert verified.claims == claims
    assert verified.token_id == "jti-fixed"
    assert verified.expires_at == NOW + lifetime


def test_a_queue_token_carries_the_queue_scope_event_and_user() -> None:
    payload = jwt.decode(_issue(QUEUE), options={"verify_signature": False})

    assert payload["scope"] == "queue"
    assert payload["evt"] == EVENT_ID
    assert payload["sub"] == USER_ID
    assert payload["exp"] - payload["iat"] == 600
    assert payload["jti"]


def test_a_registration_link_lives_until_the_deadline_it_is_given() -> None:
    issued = issue_jwt(REGISTRATION, keys=KEYS, issuer=ISSUER, now=NOW, expires_at=DEADLINE)

    claims = _verify(issued.token, RegistrationClaims, now=DEADLINE - timedelta(minutes=2))

    assert claims.sub == ORDER_ID
    assert issued.expires_at == DEADLINE


@pytest.mark.parametrize("expires_at", [None, NOW, NOW - timedelta(days=1)])
def test_a_registration_link_needs_a_future_deadline(expires_at: datetime | None) -> None:
    with pytest.raises(ValueError, match="needs an expires_at"):
        issue_jwt(REGISTRATION, keys=KEYS, issuer=ISSUER, now=NOW, expires_at=expires_at)


def test_fixed_lifetime_kinds_refuse_a_chosen_expiry() -> None:
    with pytest.raises(ValueError, match="lives 0:15:00"):
        issue_jwt(ACCESS, keys=KEYS, issuer=ISSUER, now=NOW, expires_at=DEADLINE)


def test_the_issued_token_never_shows_in_a_repr() -> None:
    issued = issue_jwt(ACCESS, keys=KEYS, issuer=ISSUER, now=NOW)

    assert issued.token not in repr(issued)
    assert isinstance(issued, IssuedJwt)


def test_every_kind_has_its_own_typ_and_audience() -> None:
    assert len({profile.typ for profile in PROFILES.values()}) == len(TokenKind)
    assert len({profile.audience for profile in PROFILES.values()}) == len(TokenKind)


def test_the_typ_header_compares_like_a_media_type() -> None:
    token = _forge(headers={"typ": "application/AT+JWT"})

    assert _verify(token, AccessClaims).sub == USER_ID


def test_a_reset_link_names_the_password_version_it_may_replace() -> None:
    token = _issue(PasswordResetClaims(sub=USER_ID, pwv=3))
    assert _verify(token, PasswordResetClaims).pwv == 3

    # A link minted before versions existed is not taken for version 0.
    payload = jwt.decode(token, options={"verify_signature": False})
    del payload["pwv"]
    unversioned = _forge(payload=payload, headers={"typ": "password-reset+jwt"})
    assert _rejection(unversioned, PasswordResetClaims) == TokenRejection.INVALID_CLAIMS


def test_a_token_signed_by_a_retired_key_still_verifies() -> None:
    old_token = _issue(ACCESS)
    rotated = KeySet.from_document(rotate_keyset_document(DOCUMENT, "jwt", now=NOW))
    ring = PublicKeyRing.from_jwks(rotated.public_jwks())

    assert _verify(old_token, AccessClaims, keys=ring) == ACCESS
    new_token = _issue(ACCESS, keys=rotated)
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.signing_key(KeyPurpose.JWT).kid
    assert _verify(new_token, AccessClaims, keys=ring) == ACCESS


def test_email_fingerprint_ignores_case_and_surrounding_space() -> None:
    assert email_fingerprint(" Ann@Example.ORG ") == email_fingerprint("ann@example.org")
    assert len(email_fingerprint("ann@example.org")) == 43
    assert "ann" not in email_fingerprint("ann@example.org")


# --- the leeway --------------------------------------------------------------------------


def test_sixty_seconds_of_clock_skew_are_tolerated() -> None:
    issued = int(NOW.timestamp())
    almost_expired = _forge(payload=_access_payload(exp=issued - 59))
    early = _forge(payload=_access_payload(nbf=issued + 59, iat=issued + 59))

    assert LEEWAY.total_seconds() == 60
    assert _verify(almost_expired, AccessClaims).sub == USER_ID
    assert _verify(early, AccessClaims).sub == USER_ID


# --- the negative matrix: each misuse has its own reason ----------------------------------


def _alg_none() -> str:
    return _unsigned({"alg": "none", "typ": "at+jwt", "kid": JWT_KEY.kid}, _access_payload())


def _hs256_with_the_public_key() -> str:
    return _forge(key=JWT_KEY.public.raw, algorithm="HS256")


def _unknown_kid() -> str:
    return _forge(headers={"kid": "jwt-20200101-dead"})


def _jku_header() -> str:
    return _forge(headers={"jku": "https://evil.example/jwks.json"})


def _x5u_header() -> str:
    return _forge(headers={"x5u": "https://evil.example/cert.pem"})


def _jwk_header() -> str:
    return _forge(headers={"jwk": KEYS.public_jwks()["keys"][0]})


def _wrong_audience() -> str:
    return _forge(payload=_access_payload(aud=PROFILES[TokenKind.QUEUE].audience))


def _wrong_issuer() -> str:
    return _forge(payload=_access_payload(iss="https://evil.example"))


def _wrong_typ() -> str:
    return _forge(headers={"typ": "JWT"})


def _expired() -> str:
    return _forge(payload=_access_payload(exp=int(NOW.timestamp()) - 61))


def _nbf_beyond_leeway() -> str:
    return _forge(payload=_access_payload(nbf=int(NOW.timestamp()) + 61))


def _registration_token() -> str:
    return _issue(REGISTRATION, expires_at=DEADLINE)


def _ticket_token() -> str:
    claims = TicketClaims(
        ticket_id=new_id(Prefix.TICKET),
        event_id=EVENT_ID,
        ticket_type_id=new_id(Prefix.TICKET_TYPE),
        version=1,
        expires_at=ticket_token_expiry(NOW),
    )
    return issue_ticket_token(claims, KEYS.signing_key(KeyPurpose.TICKET))


MATRIX: list[tuple[Callable[[], str], TokenRejection]] = [
    (_alg_none, TokenRejection.ALG_NONE),
    (_hs256_with_the_public_key, TokenRejection.ALG_NOT_ALLOWED),
    (_unknown_kid, TokenRejection.UNKNOWN_KEY),
    (_jku_header, TokenRejection.FORBIDDEN_HEADER),
    (_wrong_audience, TokenRejection.WRONG_AUDIENCE),
    (_wrong_issuer, TokenRejection.WRONG_ISSUER),
    (_wrong_typ, TokenRejection.WRONG_TYP),
    (_expired, TokenRejection.EXPIRED),
    (_nbf_beyond_leeway, TokenRejection.NOT_YET_VALID),
    (_registration_token, TokenRejection.WRONG_TOKEN_KIND),
    (_ticket_token, TokenRejection.MALFORMED),
]


@pytest.mark.parametrize(("forge", "reason"), MATRIX, ids=[row[0].__name__ for row in MATRIX])
def test_the_negative_matrix(forge: Callable[[], str], reason: TokenRejection) -> None:
    assert _rejection(forge(), AccessClaims) == reason


def test_every_row_of_the_matrix_has_a_distinct_reason() -> None:
    assert len({reason for _, reason in MATRIX}) == len(MATRIX)


@pytest.mark.parametrize("forge", [_jku_header, _x5u_header, _jwk_header])
def test_key_reference_headers_are_refused(forge: Callable[[], str]) -> None:
    assert _rejection(forge()) == TokenRejection.FORBIDDEN_HEADER


def test_an_access_token_is_not_a_registration_link() -> None:
    assert _rejection(_issue(ACCESS), RegistrationClaims) == TokenRejection.WRONG_TOKEN_KIND


@pytest.mark.parametrize(
    ("issued_as", "expected_as"),
    [
        (QUEUE, AccessClaims),
        (PasswordResetClaims(sub=USER_ID, pwv=0), EmailVerificationClaims),
        (ACCESS, QueueClaims),
    ],
)
def test_no_kind_passes_as_another(issued_as: JwtClaims, expected_as: type[JwtClaims]) -> None:
    assert _rejection(_issue(issued_as), expected_as) == TokenRejection.WRONG_TOKEN_KIND


def test_the_right_typ_with_another_kinds_audience_is_still_refused() -> None:
    payload = jwt.decode(_issue(QUEUE), options={"verify_signature": False})

    relabelled = _forge(payload=payload, headers={"typ": "at+jwt"})

    assert _rejection(relabelled, AccessClaims) == TokenRejection.WRONG_AUDIENCE


# --- the rest of the reasons ----------------------------------------------------------------


def _signed(header: dict[str, Any], payload: dict[str, Any] | bytes) -> str:
    """Sign by hand, for headers pyjwt itself refuses to write."""
    signing_input = f"{_b64({'alg': 'EdDSA', 'typ': 'at+jwt'} | header)}.{_b64(payload)}"
    signature = JWT_KEY.private_key.sign(signing_input.encode())
    return f"{signing_input}.{_b64(signature)}"


def _payload_segment_not_json() -> str:
    return _signed({"kid": JWT_KEY.kid}, b"not json")


def _tampered_payload() -> str:
    header, _, signature = _issue(ACCESS).split(".")
    return f"{header}.{_b64(_access_payload(roles=['admin']))}.{signature}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: "", TokenRejection.MALFORMED),
        (lambda: "a.b", TokenRejection.MALFORMED),
        (lambda: "x" * 5000, TokenRejection.MALFORMED),
        (lambda: _signed({"kid": 7}, _access_payload()), TokenRejection.MALFORMED),
        (_payload_segment_not_json, TokenRejection.MALFORMED),
        (
            lambda: _unsigned({"alg": "NONE", "typ": "at+jwt", "kid": "k"}, {}),
            TokenRejection.ALG_NONE,
        ),
        (
            lambda: _unsigned({"typ": "at+jwt", "kid": "k"}, _access_payload()),
            TokenRejection.ALG_NOT_ALLOWED,
        ),
        (lambda: _forge(headers={"x5c": ["MIIB"]}), TokenRejection.FORBIDDEN_HEADER),
        (lambda: _forge(headers={"typ": None}), TokenRejection.WRONG_TYP),
        (lambda: _signed({}, _access_payload()), TokenRejection.MISSING_KID),
        (
            lambda: _forge(headers={"kid": KEYS.signing_key(KeyPurpose.TICKET).kid}),
            TokenRejection.UNKNOWN_KEY,
        ),
        (_tampered_payload, TokenRejection.BAD_SIGNATURE),
        (lambda: _forge(payload=_access_payload(jti=None)), TokenRejection.MISSING_CLAIM),
        (lambda: _forge(payload=_access_payload(nbf=None)), TokenRejection.MISSING_CLAIM),
        (
            lambda: _forge(payload=_access_payload(iat=int(NOW.timestamp()) + 61)),
            TokenRejection.ISSUED_IN_FUTURE,
        ),
        (
            lambda: _forge(payload=_access_payload(exp=float(NOW.timestamp() + 900))),
            TokenRejection.INVALID_CLAIMS,
        ),
        (lambda: _forge(payload=_access_payload(iat=True)), TokenRejection.INVALID_CLAIMS),
        (lambda: _forge(payload=_access_payload(roles=["root"])), TokenRejection.INVALID_CLAIMS),
        (lambda: _forge(payload=_access_payload(sub=ORDER_ID)), TokenRejection.INVALID_CLAIMS),
        (lambda: _forge(payload=_access_payload(extra="x")), TokenRejection.INVALID_CLAIMS),
        (
            lambda: _forge(payload=_access_payload(aud=["admitone:api", "admitone:queue"])),
            TokenRejection.WRONG_AUDIENCE,
        ),
    ],
)
def test_every_other_fault_has_a_reason(token: Callable[[], str], reason: TokenRejection) -> None:
    assert _rejection(token()) == reason


def test_a_token_from_another_key_set_is_unknown() -> None:
    other = KeySet.from_document(generate_keyset_document(now=NOW))

    assert _rejection(_issue(ACCESS, keys=other)) == TokenRejection.UNKNOWN_KEY


def test_the_failure_does_not_echo_the_token() -> None:
    token = _expired()

    with pytest.raises(InvalidToken) as raised:
        _verify(token, AccessClaims)

    assert token[:30] not in str(raised.value)
    assert raised.value.detail == "The token has expired."


# --- RFC 9864: Ed25519 is EdDSA's fully-specified name ---------------------------------------


def _joserfc_decode(token: str, algorithms: list[str]) -> Any:
    """joserfc (a strict third-party JOSE library) against the JWKS we publish."""
    joserfc_jwk = pytest.importorskip("joserfc.jwk")
    joserfc_jwt = pytest.importorskip("joserfc.jwt")
    return joserfc_jwt.decode(
        token, joserfc_jwk.KeySet.import_key_set(PUBLIC.public_jwks()), algorithms=algorithms
    )


def _signed_by_joserfc(header: dict[str, Any], payload: dict[str, Any]) -> str:
    joserfc_jwk = pytest.importorskip("joserfc.jwk")
    joserfc_jwt = pytest.importorskip("joserfc.jwt")
    private = joserfc_jwk.OKPKey.import_key(
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(JWT_KEY.public.raw),
            "d": _b64(JWT_KEY.private_key.private_bytes_raw()),
        }
    )
    return str(joserfc_jwt.encode(header, payload, private, algorithms=[header["alg"]]))


def test_a_third_party_jose_library_verifies_our_access_token_against_our_jwks() -> None:
    token = _issue(ACCESS)
    # RFC 9864 deprecates the EdDSA name, and joserfc says so on every token that carries
    # it, whatever the JWKS holds. This stops the day ALGORITHM becomes Ed25519.
    with pytest.warns(UserWarning, match="EdDSA is deprecated via RFC 9864"):
        decoded = _joserfc_decode(token, ["EdDSA"])
    assert decoded.header["kid"] == JWT_KEY.kid
    assert decoded.claims["sub"] == USER_ID


def test_a_token_in_rfc_9864s_ed25519_name_signed_by_another_library_is_accepted() -> None:
    token = _signed_by_joserfc(
        {"alg": "Ed25519", "typ": "at+jwt", "kid": JWT_KEY.kid}, _access_payload()
    )
    assert jwt.get_unverified_header(token)["alg"] == "Ed25519"
    assert _verify(token, AccessClaims) == AccessClaims(
        sub=USER_ID, roles=(Role.BUYER,), email="ada@example.com"
    )


def test_an_ed25519_named_token_with_a_bad_signature_is_still_refused() -> None:
    token = _signed_by_joserfc(
        {"alg": "Ed25519", "typ": "at+jwt", "kid": JWT_KEY.kid}, _access_payload()
    )
    header, _, signature = token.split(".")
    tampered = f"{header}.{_b64(_access_payload(roles=['admin']))}.{signature}"
    assert _rejection(tampered) == TokenRejection.BAD_SIGNATURE


def _rsa_private_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_alg_none, TokenRejection.ALG_NONE),
        (_hs256_with_the_public_key, TokenRejection.ALG_NOT_ALLOWED),
        (lambda: _forge(key=_rsa_private_key(), algorithm="RS256"), TokenRejection.ALG_NOT_ALLOWED),
        (
            lambda: _signed({"alg": "Ed448", "kid": JWT_KEY.kid}, _access_payload()),
            TokenRejection.ALG_NOT_ALLOWED,
        ),
        (
            lambda: _signed({"alg": "ed25519", "kid": JWT_KEY.kid}, _access_payload()),
            TokenRejection.ALG_NOT_ALLOWED,
        ),
    ],
    ids=["none", "HS256", "RS256", "Ed448", "lower-case ed25519"],
)
def test_only_the_two_names_of_ed25519_are_accepted(
    forge: Callable[[], str], reason: TokenRejection
) -> None:
    assert _rejection(forge()) == reason
