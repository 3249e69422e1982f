"""Ticket tokens: layout, offline verification, tampering, rotation and revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from admitone.domain.errors import InvalidToken, Unauthenticated
from admitone.domain.ids import Prefix, id_from_bytes, new_id
from admitone.domain.keys import (
    KeyPurpose,
    KeySet,
    PublicKeyRing,
    generate_keyset_document,
    rotate_keyset_document,
)
from admitone.domain.tokens import (
    BASE45_ALPHABET,
    MAX_TOKEN_CHARS,
    TOKEN_BYTES,
    TicketClaims,
    TokenRejection,
    VerifiedTicket,
    base45_decode,
    base45_encode,
    can_carry_event,
    check_revocations,
    event_fingerprint,
    issue_ticket_token,
    ticket_token_expiry,
    ticket_type_fingerprint,
    verify_ticket_token,
)

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
EVENT_ENDS = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
DOCUMENT = generate_keyset_document(now=NOW)
KEYS = KeySet.from_document(DOCUMENT)
# What a gate device has: the published JWKS, no private key.
GATE_KEYS = PublicKeyRing.from_jwks(KEYS.public_jwks())
OTHER_KEYS = KeySet.from_document(generate_keyset_document(now=NOW))
TICKET_KEY = KEYS.signing_key(KeyPurpose.TICKET)
EVENT_ID = new_id(Prefix.EVENT, now=NOW)
TYPE_ID = new_id(Prefix.TICKET_TYPE, now=NOW)


def _claims(**changes: object) -> TicketClaims:
    values: dict[str, object] = {
        "ticket_id": new_id(Prefix.TICKET, now=NOW),
        "event_id": EVENT_ID,
        "ticket_type_id": TYPE_ID,
        "version": 1,
        "expires_at": ticket_token_expiry(EVENT_ENDS),
    }
    values.update(changes)
    return TicketClaims.model_validate(values)


CLAIMS = _claims()
TOKEN = issue_ticket_token(CLAIMS, TICKET_KEY)


def _rejection(token: str, *, keys: PublicKeyRing = GATE_KEYS, **kwargs: object) -> str:
    arguments: dict[str, object] = {"event_id": EVENT_ID, "now": NOW} | kwargs
    with pytest.raises(InvalidToken) as raised:
        verify_ticket_token(token, keys, **arguments)  # type: ignore[arg-type]
    return raised.value.reason


def _reencode(token: str, change: dict[int, int]) -> str:
    data = bytearray(base45_decode(token) or b"")
    for index, value in change.items():
        data[index] = value
    return base45_encode(bytes(data))


def test_a_token_is_153_qr_alphanumeric_characters() -> None:
    assert len(TOKEN) == 153 <= MAX_TOKEN_CHARS
    assert set(TOKEN) <= set(BASE45_ALPHABET)
    assert len(base45_decode(TOKEN) or b"") == TOKEN_BYTES == 102


def test_the_bytes_follow_the_documented_layout() -> None:
    data = base45_decode(TOKEN) or b""

    assert data[0] == 1
    assert data[1:4] == TICKET_KEY.public.short_id
    assert id_from_bytes(data[4:20], Prefix.TICKET) == CLAIMS.ticket_id
    assert data[20:28] == event_fingerprint(EVENT_ID)
    assert data[28:32] == ticket_type_fingerprint(TYPE_ID)
    assert int.from_bytes(data[32:34], "big") == 1
    assert int.from_bytes(data[34:38], "big") == int(ticket_token_expiry(EVENT_ENDS).timestamp())
    TICKET_KEY.public.key.verify(data[38:], b"admitone/ticket-token\x00" + data[:38])


def test_a_gate_verifies_a_token_offline_with_public_keys_only() -> None:
    ticket = verify_ticket_token(TOKEN, GATE_KEYS, event_id=EVENT_ID, now=NOW)

    assert ticket == VerifiedTicket(
        ticket_id=CLAIMS.ticket_id,
        version=1,
        expires_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
        event_fingerprint=event_fingerprint(EVENT_ID),
        ticket_type_fingerprint=ticket_type_fingerprint(TYPE_ID),
        key_id=TICKET_KEY.kid,
    )
    assert ticket.is_of_type(TYPE_ID)
    assert not ticket.is_of_type(new_id(Prefix.TICKET_TYPE))


@given(
    ticket_raw=st.binary(min_size=16, max_size=16),
    version=st.integers(min_value=1, max_value=0xFFFF),
    expiry=st.integers(min_value=int(NOW.timestamp()) + 1, max_value=0xFFFF_FFFF),
    event_raw=st.binary(min_size=16, max_size=16),
    type_raw=st.binary(min_size=16, max_size=16),
)
def test_any_claims_round_trip(
    ticket_raw: bytes, version: int, expiry: int, event_raw: bytes, type_raw: bytes
) -> None:
    claims = TicketClaims(
        ticket_id=id_from_bytes(ticket_raw, Prefix.TICKET),
        event_id=id_from_bytes(event_raw, Prefix.EVENT),
        ticket_type_id=id_from_bytes(type_raw, Prefix.TICKET_TYPE),
        version=version,
        expires_at=datetime.fromtimestamp(expiry, tz=UTC),
    )

    token = issue_ticket_token(claims, TICKET_KEY)
    ticket = verify_ticket_token(token, GATE_KEYS, event_id=claims.event_id, now=NOW)

    assert len(token) == 153
    assert (ticket.ticket_id, ticket.version, ticket.expires_at) == (
        claims.ticket_id,
        version,
        claims.expires_at,
    )
    assert ticket.is_of_type(claims.ticket_type_id)


@given(
    index=st.integers(min_value=0, max_value=152),
    replacement=st.sampled_from(BASE45_ALPHABET + "abcxyz~#\n\u00e9"),
)
def test_changing_any_single_character_fails_verification(index: int, replacement: str) -> None:
    if TOKEN[index] == replacement:
        replacement = BASE45_ALPHABET[(BASE45_ALPHABET.index(replacement) + 1) % 45]
    tampered = TOKEN[:index] + replacement + TOKEN[index + 1 :]

    with pytest.raises(InvalidToken):
        verify_ticket_token(tampered, GATE_KEYS, event_id=EVENT_ID, now=NOW)


@given(position=st.integers(min_value=0, max_value=TOKEN_BYTES - 1), flip=st.integers(0, 7))
def test_flipping_any_bit_fails_verification(position: int, flip: int) -> None:
    data = bytearray(base45_decode(TOKEN) or b"")
    data[position] ^= 1 << flip

    with pytest.raises(InvalidToken):
        verify_ticket_token(base45_encode(bytes(data)), GATE_KEYS, event_id=EVENT_ID, now=NOW)


@given(st.integers(min_value=1, max_value=0xFFFF))
def test_a_token_signed_by_an_unknown_key_fails(version: int) -> None:
    foreign = issue_ticket_token(
        _claims(version=version), OTHER_KEYS.signing_key(KeyPurpose.TICKET)
    )

    assert _rejection(foreign) == TokenRejection.UNKNOWN_KEY


def test_a_token_naming_a_known_key_but_signed_by_another_fails() -> None:
    foreign = issue_ticket_token(CLAIMS, OTHER_KEYS.signing_key(KeyPurpose.TICKET))
    short_id = TICKET_KEY.public.short_id

    relabelled = _reencode(foreign, {1: short_id[0], 2: short_id[1], 3: short_id[2]})

    assert _rejection(relabelled) == TokenRejection.BAD_SIGNATURE


def test_a_jwt_key_is_not_a_ticket_key() -> None:
    jwt_short_id = KEYS.signing_key(KeyPurpose.JWT).public.short_id

    relabelled = _reencode(TOKEN, {1: jwt_short_id[0], 2: jwt_short_id[1], 3: jwt_short_id[2]})

    assert _rejection(relabelled) == TokenRejection.UNKNOWN_KEY
    with pytest.raises(ValueError, match="ticket key"):
        issue_ticket_token(CLAIMS, KEYS.signing_key(KeyPurpose.JWT))


def test_a_token_for_another_event_is_refused_as_wrong_event() -> None:
    assert _rejection(TOKEN, event_id=new_id(Prefix.EVENT)) == TokenRejection.WRONG_EVENT


def test_a_token_expires_one_day_after_the_event_ends() -> None:
    expiry = EVENT_ENDS + timedelta(days=1)

    ticket = verify_ticket_token(
        TOKEN, GATE_KEYS, event_id=EVENT_ID, now=expiry - timedelta(seconds=1)
    )

    assert ticket.expires_at == expiry
    assert _rejection(TOKEN, now=expiry) == TokenRejection.EXPIRED


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", TokenRejection.MALFORMED),
        ("A" * (MAX_TOKEN_CHARS + 1), TokenRejection.MALFORMED),
        (TOKEN.lower(), TokenRejection.MALFORMED),
        (TOKEN + "0", TokenRejection.MALFORMED),  # a length no bytes encode to
        (TOKEN[:-3], TokenRejection.MALFORMED),  # two bytes short
        (base45_encode(b"\x01" + b"\x00" * 50), TokenRejection.MALFORMED),
        (base45_encode(b"\x02" + b"\x00" * 101), TokenRejection.UNSUPPORTED_FORMAT),
        (base45_encode(b"\x00"), TokenRejection.UNSUPPORTED_FORMAT),
    ],
)
def test_malformed_text_is_refused(token: str, reason: TokenRejection) -> None:
    assert _rejection(token) == reason


def test_an_invalid_token_is_an_authentication_failure_with_a_generic_detail() -> None:
    with pytest.raises(InvalidToken) as raised:
        verify_ticket_token(TOKEN[:-3] + "000", GATE_KEYS, event_id=EVENT_ID, now=NOW)

    error = raised.value
    assert isinstance(error, Unauthenticated)
    assert error.code == "TOKEN_INVALID"
    assert error.reason == TokenRejection.BAD_SIGNATURE
    assert TOKEN[:20] not in error.detail


def test_a_retired_key_still_verifies_after_rotation() -> None:
    rotated = KeySet.from_document(rotate_keyset_document(DOCUMENT, "ticket", now=NOW))
    gate = PublicKeyRing.from_jwks(rotated.public_jwks())
    new_token = issue_ticket_token(CLAIMS, rotated.signing_key(KeyPurpose.TICKET))

    old = verify_ticket_token(TOKEN, gate, event_id=EVENT_ID, now=NOW)
    new = verify_ticket_token(new_token, gate, event_id=EVENT_ID, now=NOW)

    assert old.key_id != new.key_id
    assert new.key_id == rotated.signing_key(KeyPurpose.TICKET).kid


def test_a_reissued_ticket_supersedes_its_old_token() -> None:
    old = verify_ticket_token(TOKEN, GATE_KEYS, event_id=EVENT_ID, now=NOW)
    reissued = verify_ticket_token(
        issue_ticket_token(_claims(ticket_id=CLAIMS.ticket_id, version=2), TICKET_KEY),
        GATE_KEYS,
        event_id=EVENT_ID,
        now=NOW,
    )
    revocations = {CLAIMS.ticket_id: 2}

    check_revocations(reissued, revocations)
    with pytest.raises(InvalidToken) as raised:
        check_revocations(old, revocations)
    assert raised.value.reason == TokenRejection.SUPERSEDED


def test_revocations_void_a_ticket_and_ignore_others() -> None:
    ticket = verify_ticket_token(TOKEN, GATE_KEYS, event_id=EVENT_ID, now=NOW)

    check_revocations(ticket, {})
    check_revocations(ticket, {new_id(Prefix.TICKET): None})
    # A stale offline list that still names an older version does not block a newer one.
    check_revocations(ticket, {CLAIMS.ticket_id: 0})
    with pytest.raises(InvalidToken) as raised:
        check_revocations(ticket, {CLAIMS.ticket_id: None})
    assert raised.value.reason == TokenRejection.REVOKED


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 0},
        {"version": 0x10000},
        {"expires_at": datetime(1969, 12, 31, tzinfo=UTC)},
        {"expires_at": datetime(2106, 2, 8, tzinfo=UTC)},
        {"expires_at": datetime(2026, 11, 24)},  # noqa: DTZ001 - naive on purpose
        {"ticket_id": new_id(Prefix.ORDER)},
        {"event_id": new_id(Prefix.VENUE)},
        {"ticket_type_id": new_id(Prefix.TICKET)},
        {"seat": "A1"},
    ],
)
def test_claims_outside_the_layout_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _claims(**changes)


def test_the_expiry_is_the_event_end_plus_one_day() -> None:
    assert ticket_token_expiry(EVENT_ENDS) == datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket_token_expiry(datetime(2026, 11, 24))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_rfc_9285(raw: bytes, text: str) -> None:
    assert base45_encode(raw) == text
    assert base45_decode(text) == raw


@pytest.mark.parametrize("text", ["GGW", "::", "A", "BB8A", "bb8", "BB8?"])
def test_base45_refuses_text_no_bytes_encode_to(text: str) -> None:
    assert base45_decode(text) is None


@given(st.binary(max_size=200))
def test_base45_round_trips(raw: bytes) -> None:
    assert base45_decode(base45_encode(raw)) == raw


def test_tickets_can_be_issued_exactly_for_events_whose_expiry_fits_the_token():
    """An event ending up to a day before the 32-bit end of Unix time still gets tickets;
    one ending later, or in any far year at any offset, does not (and nothing overflows)."""
    last_end = datetime.fromtimestamp(0xFFFF_FFFF, UTC) - timedelta(days=1)
    assert can_carry_event(EVENT_ENDS)
    assert can_carry_event(last_end)
    TicketClaims(
        ticket_id=new_id(Prefix.TICKET),
        event_id=new_id(Prefix.EVENT),
        ticket_type_id=new_id(Prefix.TICKET_TYPE),
        version=1,
        expires_at=ticket_token_expiry(last_end),
    )
    assert not can_carry_event(last_end + timedelta(seconds=1))
    assert not can_carry_event(datetime(9999, 12, 31, tzinfo=timezone(-timedelta(hours=23))))
    assert not can_carry_event(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23))))
