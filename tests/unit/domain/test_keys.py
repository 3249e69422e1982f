"""The signing key document, the typed key set, rotation and the public JWKS."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from admitone.domain import keys
from admitone.domain.keys import (
    KeyPurpose,
    KeySet,
    KeySetError,
    KeyStatus,
    PublicKey,
    PublicKeyRing,
    b64url_decode_key,
    b64url_encode,
    generate_keyset_document,
    rotate_keyset_document,
    ticket_key_id,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def _public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture
def document() -> dict[str, Any]:
    return generate_keyset_document(now=NOW)


def test_a_generated_document_has_one_active_key_per_purpose(document: dict[str, Any]) -> None:
    entries = document["keys"]

    assert [entry["purpose"] for entry in entries] == ["jwt", "ticket"]
    assert {entry["status"] for entry in entries} == {"active"}
    assert {entry["alg"] for entry in entries} == {"Ed25519"}
    assert re.fullmatch(r"jwt-20261123-[0-9a-f]{4}", entries[0]["kid"])
    assert re.fullmatch(r"tkt-20261123-[0-9a-f]{4}", entries[1]["kid"])
    assert all(len(b64url_decode_key(entry["private_key"])) == 32 for entry in entries)


def test_the_kid_suffix_comes_from_the_public_key(document: dict[str, Any]) -> None:
    keyset = KeySet.from_document(document)

    for key in keyset.verification_keys():
        assert key.kid.endswith(key.raw[:2].hex())


def test_generate_takes_purposes_once_each() -> None:
    document = generate_keyset_document(["ticket", KeyPurpose.TICKET], now=NOW)

    assert [entry["purpose"] for entry in document["keys"]] == ["ticket"]


def test_generate_needs_a_known_purpose() -> None:
    with pytest.raises(ValueError, match="at least one purpose"):
        generate_keyset_document([], now=NOW)
    with pytest.raises(ValueError, match="'nft'"):
        generate_keyset_document(["nft"], now=NOW)


def test_the_key_set_signs_with_the_active_key_of_each_purpose(document: dict[str, Any]) -> None:
    keyset = KeySet.from_document(document)
    jwt_entry, ticket_entry = document["keys"]

    jwt_key = keyset.signing_key(KeyPurpose.JWT)
    ticket_key = keyset.signing_key(KeyPurpose.TICKET)

    assert (jwt_key.kid, ticket_key.kid) == (jwt_entry["kid"], ticket_entry["kid"])
    signature = ticket_key.sign(b"message")
    ticket_key.public.key.verify(signature, b"message")


def test_verification_keys_are_found_by_kid_and_ticket_keys_by_short_id(
    document: dict[str, Any],
) -> None:
    keyset = KeySet.from_document(document)
    ticket_key = keyset.signing_key(KeyPurpose.TICKET).public
    jwt_key = keyset.signing_key(KeyPurpose.JWT).public

    assert keyset.verification_key(ticket_key.kid) == ticket_key
    assert keyset.verification_key("tkt-19700101-0000") is None
    assert keyset.ticket_key(ticket_key.short_id) == ticket_key
    assert ticket_key.short_id == ticket_key_id(ticket_key.raw)
    assert len(ticket_key.short_id) == 3
    # JWT keys are never indexed as ticket keys.
    assert keyset.ticket_key(jwt_key.short_id) is None


def test_a_set_without_a_purpose_cannot_sign_for_it() -> None:
    keyset = KeySet.from_document(generate_keyset_document(["jwt"], now=NOW))

    with pytest.raises(LookupError, match="no active ticket signing key"):
        keyset.signing_key(KeyPurpose.TICKET)


def test_unknown_members_are_ignored(document: dict[str, Any]) -> None:
    document["note"] = "rotated by ops"
    document["keys"][0]["created_by"] = "ops"

    assert KeySet.from_document(document).signing_key(KeyPurpose.JWT)


def _set(index: int, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["keys"][index][name] = value

    return change


def _drop(index: int, name: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        del document["keys"][index][name]

    return change


def _duplicate_first(document: dict[str, Any]) -> None:
    document["keys"].append(dict(document["keys"][0], status="retired"))


def _second_active_jwt_key(document: dict[str, Any]) -> None:
    other = generate_keyset_document(["jwt"], now=LATER)["keys"][0]
    document["keys"].append(other)


def _retire_all(document: dict[str, Any]) -> None:
    for entry in document["keys"]:
        entry["status"] = "retired"


def _no_keys(document: dict[str, Any]) -> None:
    document["keys"] = []


def _keys_not_a_list(document: dict[str, Any]) -> None:
    document["keys"] = {"kid": "x"}


def _pad(document: dict[str, Any]) -> None:
    document["keys"][0]["private_key"] += "="


def _non_canonical(document: dict[str, Any]) -> None:
    # The last of 43 characters carries 4 bits that must be zero; set one.
    text = document["keys"][0]["private_key"]
    raw = b64url_decode_key(text)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    changed = text[:-1] + alphabet[alphabet.index(text[-1]) | 1]
    # A lenient decoder reads the same key from both spellings.
    assert base64.urlsafe_b64decode(changed + "=") == raw
    document["keys"][0]["private_key"] = changed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_no_keys, "keys"),
        (_keys_not_a_list, "keys"),
        (_set(0, "purpose", "nft"), "keys.0.purpose"),
        (_set(0, "alg", "RS256"), "keys.0.alg"),
        (_set(0, "status", "pending"), "keys.0.status"),
        (_set(0, "kid", "has space"), "keys.0.kid"),
        (_set(0, "kid", ""), "keys.0.kid"),
        (_set(0, "private_key", "c2hvcnQ"), "keys.0.private_key"),
        (_set(0, "private_key", 42), "keys.0.private_key"),
        (_drop(1, "private_key"), "keys.1.private_key"),
        (_pad, "keys.0.private_key"),
        (_non_canonical, "keys.0.private_key"),
        (_duplicate_first, "duplicate kid"),
        (_second_active_jwt_key, "more than one active jwt key"),
        (_retire_all, "no active key for: jwt, ticket"),
    ],
)
def test_a_broken_document_is_refused_without_quoting_a_key(
    document: dict[str, Any], change: Callable[[dict[str, Any]], None], message: str
) -> None:
    secrets_before = [entry["private_key"] for entry in document["keys"]]
    broken = copy.deepcopy(document)
    change(broken)

    with pytest.raises(KeySetError) as raised:
        KeySet.from_document(broken)

    text = str(raised.value)
    assert message in text
    for secret in [*secrets_before, "c2hvcnQ"]:
        assert secret[:12] not in text


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(KeySetError, match="keys"):
        KeySet.from_document({"kid": "x"})


def test_no_repr_shows_private_material(document: dict[str, Any]) -> None:
    keyset = KeySet.from_document(document)
    text = repr(keyset.signing_key(KeyPurpose.JWT)) + repr(keyset.signing_key(KeyPurpose.TICKET))

    for entry in document["keys"]:
        assert entry["private_key"] not in text
        assert entry["private_key"][:12] not in text


def test_the_jwks_lists_public_okp_keys_sorted_by_kid(document: dict[str, Any]) -> None:
    keyset = KeySet.from_document(rotate_keyset_document(document, "jwt", now=LATER))

    jwks = keyset.public_jwks()

    kids = [jwk["kid"] for jwk in jwks["keys"]]
    assert kids == sorted(kids)
    assert len(kids) == 3
    for jwk in jwks["keys"]:
        assert jwk.keys() == {"kty", "crv", "x", "kid", "use", "alg", "purpose"}
        assert [jwk[name] for name in ("kty", "crv", "use")] == ["OKP", "Ed25519", "sig"]
        # JWT keys name the alg their tokens carry; ticket keys sign no JWS and take
        # RFC 9864's fully-specified name.
        assert jwk["alg"] == {"jwt": "EdDSA", "ticket": "Ed25519"}[jwk["purpose"]]
        key = keyset.verification_key(jwk["kid"])
        assert key is not None
        assert key.raw == b64url_decode_key(jwk["x"])
    secret_values = {entry["private_key"] for entry in document["keys"]}
    assert not secret_values & {value for jwk in jwks["keys"] for value in jwk.values()}


def test_a_ring_built_from_the_jwks_knows_the_same_keys(document: dict[str, Any]) -> None:
    keyset = KeySet.from_document(document)

    ring = PublicKeyRing.from_jwks(keyset.public_jwks())

    assert ring.verification_keys() == keyset.verification_keys()
    ticket_key = keyset.signing_key(KeyPurpose.TICKET).public
    assert ring.ticket_key(ticket_key.short_id) == ticket_key
    assert ring.public_jwks() == keyset.public_jwks()
    assert keyset.public_keys().verification_keys() == keyset.verification_keys()
    assert not isinstance(keyset.public_keys(), KeySet)


@pytest.mark.parametrize(
    "jwks",
    [
        {},
        {"keys": [{"kty": "RSA", "kid": "a", "n": "x", "e": "AQAB", "purpose": "jwt"}]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "short", "purpose": "jwt"}]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "A" * 43}]},
    ],
)
def test_a_bad_jwks_is_refused(jwks: dict[str, Any]) -> None:
    with pytest.raises(KeySetError, match="JWKS is invalid"):
        PublicKeyRing.from_jwks(jwks)


def test_two_ticket_keys_with_one_short_id_cannot_share_a_ring() -> None:
    raw = _public_raw(Ed25519PrivateKey.generate())

    with pytest.raises(KeySetError, match="share a short id"):
        PublicKeyRing(
            [
                PublicKey.from_raw("tkt-a", KeyPurpose.TICKET, raw),
                PublicKey.from_raw("tkt-b", KeyPurpose.TICKET, raw),
            ]
        )


def test_rotation_retires_the_active_key_and_adds_a_new_signer(document: dict[str, Any]) -> None:
    old = KeySet.from_document(document)

    rotated = rotate_keyset_document(document, KeyPurpose.TICKET, now=LATER)
    new = KeySet.from_document(rotated)

    old_ticket = old.signing_key(KeyPurpose.TICKET)
    new_ticket = new.signing_key(KeyPurpose.TICKET)
    assert new_ticket.kid != old_ticket.kid
    assert new_ticket.kid.startswith("tkt-20270201-")
    assert new.verification_key(old_ticket.kid) == old_ticket.public
    assert new.signing_key(KeyPurpose.JWT).kid == old.signing_key(KeyPurpose.JWT).kid
    statuses = {entry["kid"]: entry["status"] for entry in rotated["keys"]}
    assert statuses[old_ticket.kid] == KeyStatus.RETIRED
    # The input document is left alone.
    assert document["keys"][1]["status"] == "active"


class _ScriptedKeys:
    """Stands in for Ed25519PrivateKey: generate() hands out the given keys in turn."""

    def __init__(self, scripted: list[Ed25519PrivateKey]) -> None:
        self._next: Iterator[Ed25519PrivateKey] = iter(scripted)
        self.from_private_bytes = Ed25519PrivateKey.from_private_bytes

    def generate(self) -> Ed25519PrivateKey:
        return next(self._next)


@pytest.mark.parametrize("purpose", [KeyPurpose.TICKET, KeyPurpose.JWT])
def test_rotation_draws_again_when_a_new_key_would_collide(
    document: dict[str, Any], purpose: KeyPurpose, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = 1 if purpose is KeyPurpose.TICKET else 0
    existing = Ed25519PrivateKey.from_private_bytes(
        b64url_decode_key(document["keys"][index]["private_key"])
    )
    fresh = Ed25519PrivateKey.generate()
    monkeypatch.setattr(keys, "Ed25519PrivateKey", _ScriptedKeys([existing, fresh]))

    # A JWT key drawn again on the same day repeats its kid; a ticket key drawn again on
    # another day has a new kid but repeats its short id.
    rotated = rotate_keyset_document(
        document, purpose, now=LATER if purpose is KeyPurpose.TICKET else NOW
    )

    new_entry = rotated["keys"][-1]
    assert b64url_decode_key(new_entry["private_key"]) == fresh.private_bytes_raw()
    monkeypatch.undo()
    assert KeySet.from_document(rotated).signing_key(purpose).kid == new_entry["kid"]


def test_b64url_helpers_round_trip() -> None:
    raw = bytes(range(32))

    assert b64url_decode_key(b64url_encode(raw)) == raw
    with pytest.raises(ValueError, match="unpadded base64url"):
        b64url_decode_key(b64url_encode(raw) + "=")
