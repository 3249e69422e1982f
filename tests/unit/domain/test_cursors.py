"""Pagination cursors: opaque, tamper-evident, bound to their filters and their key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.cursors import (
    MAX_CURSOR_LENGTH,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from admitone.domain.errors import CursorInvalid

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
FILTERS = fingerprint({"city": "nashville", "q": ["jazz"], "min_price": 1000, "to": None})
POSITION = {"sk": "2026-12-01T20:00:00Z#evt_01JDQ3Z8K4M2N6P8R0T2V4X6Z0", "id": "evt_x"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(document: Any, key: bytes = KEY) -> str:
    """A cursor whose document is written by hand but correctly signed."""
    payload = _b64(json.dumps(document).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def test_a_cursor_gives_back_the_position_it_was_made_from() -> None:
    cursor = encode_cursor(POSITION, FILTERS, KEY)
    assert decode_cursor(cursor, FILTERS, KEY) == POSITION


def test_a_cursor_is_url_safe_text() -> None:
    cursor = encode_cursor(POSITION, FILTERS, KEY)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@given(position=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=3))
def test_any_position_of_strings_survives_the_round_trip(position: dict[str, str]) -> None:
    assert decode_cursor(encode_cursor(position, FILTERS, KEY), FILTERS, KEY) == position


def test_a_position_too_large_for_a_cursor_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="too large"):
        encode_cursor({"sk": "x" * MAX_CURSOR_LENGTH}, FILTERS, KEY)


def test_the_fingerprint_ignores_the_order_of_the_filters_but_not_their_values() -> None:
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1, "b": "x"}) != fingerprint({"a": 2, "b": "x"})
    assert fingerprint({"a": None}) != fingerprint({})


def test_a_cursor_for_other_filters_is_refused() -> None:
    cursor = encode_cursor(POSITION, FILTERS, KEY)
    with pytest.raises(CursorInvalid) as refused:
        decode_cursor(cursor, fingerprint({"city": "austin"}), KEY)
    assert refused.value.code == "CURSOR_INVALID"
    assert refused.value.errors[0].field == "query.cursor"


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    with pytest.raises(CursorInvalid):
        decode_cursor(encode_cursor(POSITION, FILTERS, OTHER_KEY), FILTERS, KEY)


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-1],
        lambda c: c[: len(c) // 2],
        lambda c: c.split(".")[0],
        lambda c: c + "A",
        lambda c: _flip(c, 3),
        lambda c: _flip(c, len(c) - 3),
        lambda c: c.replace(".", ".."),
        lambda c: "",
        lambda c: "." + c.split(".")[1],
        lambda c: c + "é",
    ],
    ids=[
        "last character cut",
        "halved",
        "tag dropped",
        "character appended",
        "payload altered",
        "tag altered",
        "separator doubled",
        "empty",
        "payload dropped",
        "non-ascii appended",
    ],
)
def test_an_altered_or_truncated_cursor_is_refused(tamper: Any) -> None:
    with pytest.raises(CursorInvalid):
        decode_cursor(tamper(encode_cursor(POSITION, FILTERS, KEY)), FILTERS, KEY)


def test_a_forged_payload_with_a_guessed_tag_is_refused() -> None:
    with pytest.raises(CursorInvalid):
        decode_cursor(_signed({"v": 1, "f": FILTERS, "p": POSITION}, OTHER_KEY), FILTERS, KEY)


def test_an_overlong_cursor_is_refused_before_any_work() -> None:
    with pytest.raises(CursorInvalid):
        decode_cursor("A" * (MAX_CURSOR_LENGTH + 1), FILTERS, KEY)


@pytest.mark.parametrize(
    "document",
    [
        [1, 2],
        {"v": 2, "f": FILTERS, "p": POSITION},
        {"f": FILTERS, "p": POSITION},
        {"v": 1, "f": FILTERS},
        {"v": 1, "f": FILTERS, "p": ["sk"]},
        {"v": 1, "f": FILTERS, "p": {"sk": 5}},
    ],
    ids=[
        "not an object",
        "another version",
        "no version",
        "no position",
        "position not an object",
        "position value not text",
    ],
)
def test_a_signed_cursor_of_another_shape_is_refused(document: Any) -> None:
    with pytest.raises(CursorInvalid):
        decode_cursor(_signed(document), FILTERS, KEY)


def test_a_short_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_cursor(POSITION, FILTERS, b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        decode_cursor("a.b", FILTERS, b"short")
