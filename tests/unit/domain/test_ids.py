"""Prefixed ULID ids: format, ordering, strict parsing and the 16-byte form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from admitone.domain.errors import InvalidId, ValidationFailed
from admitone.domain.ids import (
    CROCKFORD_ALPHABET,
    Prefix,
    TicketId,
    id_from_bytes,
    id_pattern,
    id_to_bytes,
    is_id,
    new_id,
    parse_id,
)

NOW = datetime(2026, 11, 23, 18, 30, 15, 123000, tzinfo=UTC)
A_TICKET_ID = "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QW"


def test_a_new_id_is_the_prefix_and_26_crockford_characters() -> None:
    value = new_id(Prefix.TICKET, now=NOW)

    assert re.fullmatch(r"tkt_[0-7][0-9A-HJKMNP-TV-Z]{25}", value)
    assert re.fullmatch(id_pattern(Prefix.TICKET), value)


def test_a_new_id_records_its_millisecond() -> None:
    assert parse_id(new_id(Prefix.ORDER, now=NOW)).created_at == NOW


def test_new_id_defaults_to_the_current_time() -> None:
    before = datetime.now(UTC) - timedelta(milliseconds=1)

    created = parse_id(new_id(Prefix.EVENT)).created_at

    assert before <= created <= datetime.now(UTC)


def test_ids_sort_by_creation_time() -> None:
    moments = [NOW + timedelta(milliseconds=step * 7) for step in range(50)]

    ids = [new_id(Prefix.ORDER, now=moment) for moment in moments]

    assert sorted(ids) == ids


def test_ids_minted_in_the_same_millisecond_differ() -> None:
    assert len({new_id(Prefix.TICKET, now=NOW) for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1),  # noqa: DTZ001 - the naive datetime is the point
        datetime(1969, 12, 31, tzinfo=UTC),
    ],
)
def test_new_id_refuses_times_a_ulid_cannot_hold(moment: datetime) -> None:
    with pytest.raises(ValueError, match="new_id needs"):
        new_id(Prefix.USER, now=moment)


def test_the_last_datetime_still_fits_in_48_bits_of_milliseconds() -> None:
    moment = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)

    assert parse_id(new_id(Prefix.USER, now=moment)).created_at == moment


def test_parse_id_takes_an_id_apart() -> None:
    parsed = parse_id(A_TICKET_ID, Prefix.TICKET)

    assert parsed.prefix is Prefix.TICKET
    assert parsed.ulid == A_TICKET_ID[4:]
    assert len(parsed.raw) == 16
    assert str(parsed) == A_TICKET_ID


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tkt",
        "tkt_",
        "tkt01KAS2Y0NV8RBNC9T3ZJX4M7QW",  # no separator
        "xyz_01KAS2Y0NV8RBNC9T3ZJX4M7QW",  # unknown prefix
        "TKT_01KAS2Y0NV8RBNC9T3ZJX4M7QW",  # prefix in upper case
        "tkt_01kas2y0nv8rbnc9t3zjx4m7qw",  # ULID in lower case
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7Q",  # 25 characters
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QWX",  # 27 characters
        "tkt_81KAS2Y0NV8RBNC9T3ZJX4M7QW",  # more than 128 bits
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QI",  # I is a look-alike, never folded to 1
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QL",
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QO",
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QU",
        " tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QW",
        "tkt_01KAS2Y0NV8RBNC9T3ZJX4M7Q-",
    ],
)
def test_parse_id_refuses_anything_but_the_canonical_form(text: str) -> None:
    with pytest.raises(InvalidId) as raised:
        parse_id(text)

    assert isinstance(raised.value, ValidationFailed)
    assert raised.value.code == "ID_INVALID"
    assert not is_id(text, Prefix.TICKET)


def test_parse_id_refuses_an_id_of_another_kind_and_names_the_field() -> None:
    with pytest.raises(InvalidId) as raised:
        parse_id("evt_01KAS2Y0NV8RBNC9T3ZJX4M7QW", Prefix.TICKET, field="ticket_id")

    error = raised.value
    assert error.errors[0].field == "ticket_id"
    assert "tkt_" in error.errors[0].message
    # The message never echoes the input back.
    assert "01KAS2Y0" not in error.detail


def test_is_id_is_false_for_non_strings() -> None:
    assert not is_id(None, Prefix.TICKET)
    assert not is_id(b"tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QW", Prefix.TICKET)
    assert is_id(A_TICKET_ID, Prefix.TICKET)


@given(st.binary(min_size=16, max_size=16), st.sampled_from(Prefix))
def test_raw_bytes_round_trip_through_an_id(raw: bytes, prefix: Prefix) -> None:
    value = id_from_bytes(raw, prefix)

    assert is_id(value, prefix)
    assert id_to_bytes(value, prefix) == raw


@given(
    st.text(alphabet=CROCKFORD_ALPHABET, min_size=25, max_size=25),
    st.sampled_from("01234567"),
    st.sampled_from(Prefix),
)
def test_ids_round_trip_through_raw_bytes(body: str, first: str, prefix: Prefix) -> None:
    value = f"{prefix.value}_{first}{body}"

    assert id_from_bytes(id_to_bytes(value, prefix), prefix) == value


def test_raw_bytes_order_like_the_ids() -> None:
    ids = sorted(new_id(Prefix.TICKET, now=NOW + timedelta(seconds=n)) for n in range(20))

    assert sorted(ids, key=lambda value: id_to_bytes(value, Prefix.TICKET)) == ids


def test_id_from_bytes_needs_exactly_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 raw bytes"):
        id_from_bytes(b"\x00" * 15, Prefix.TICKET)


def test_id_to_bytes_refuses_an_id_of_another_kind() -> None:
    with pytest.raises(InvalidId):
        id_to_bytes(A_TICKET_ID, Prefix.EVENT)


class _Holder(BaseModel):
    ticket_id: TicketId


def test_the_pydantic_id_types_accept_their_kind_only() -> None:
    assert _Holder(ticket_id=A_TICKET_ID).ticket_id == A_TICKET_ID
    with pytest.raises(ValidationError):
        _Holder(ticket_id="evt_01KAS2Y0NV8RBNC9T3ZJX4M7QW")
    assert _Holder.model_json_schema()["properties"]["ticket_id"]["pattern"] == id_pattern(
        Prefix.TICKET
    )
