"""Human codes: order numbers and ticket codes, generated and normalized."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.codes import (
    MAX_ORDER_SEQUENCE,
    TICKET_CODE_ALPHABET,
    OrderNumber,
    format_order_number,
    new_ticket_code,
    normalize_order_number,
    normalize_ticket_code,
    parse_order_number,
)
from admitone.domain.errors import InvalidOrderNumber, InvalidTicketCode

# order numbers


def test_an_order_number_is_a1_year_and_a_six_digit_sequence() -> None:
    assert format_order_number(2025, 42) == "A1-2025-000042"
    assert format_order_number(2026, 999_999) == "A1-2026-999999"
    assert str(OrderNumber(2025, 1)) == "A1-2025-000001"


@pytest.mark.parametrize(
    ("year", "sequence"),
    [(2025, 0), (2025, MAX_ORDER_SEQUENCE + 1), (999, 1), (10_000, 1)],
    ids=["sequence zero", "sequence exhausted", "three-digit year", "five-digit year"],
)
def test_an_order_number_outside_its_ranges_cannot_be_formatted(year: int, sequence: int) -> None:
    with pytest.raises(ValueError, match="order number"):
        format_order_number(year, sequence)


@pytest.mark.parametrize(
    "typed",
    [
        "A1-2025-000042",
        "a1-2025-000042",
        " A1 2025 000042 ",
        "A12025000042",
        "2025-000042",
        "a1 \u2013 2025 \u2013 000042",  # en dashes from a phone keyboard
    ],
)
def test_typed_order_numbers_normalize_to_the_canonical_form(typed: str) -> None:
    assert normalize_order_number(typed) == "A1-2025-000042"
    assert parse_order_number(typed) == OrderNumber(2025, 42)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "A1-2025-42",  # the sequence is always six digits
        "A1-2025-000000",
        "A1-0999-000001",
        "A2-2025-000042",
        "A1-2025-0000421",
        "A1-2025-00004O",
        "TKT-2025-000042",
        "A1-\u0662\u0660\u0662\u0665-000042",  # non-ASCII digits
    ],
)
def test_anything_else_is_not_an_order_number(typed: str) -> None:
    with pytest.raises(InvalidOrderNumber) as raised:
        parse_order_number(typed)

    assert raised.value.code == "ORDER_NUMBER_INVALID"
    assert raised.value.errors[0].field == "order_number"


def test_past_999999_the_sequence_has_more_digits_and_still_reads_back() -> None:
    # Containers claim numbers in blocks and leave gaps: a busy year passes a million.
    assert format_order_number(2026, 1_000_000) == "A1-2026-1000000"
    assert normalize_order_number("a1 2026 1000000") == "A1-2026-1000000"
    assert parse_order_number("A1-2026-999999999999") == OrderNumber(2026, 999_999_999_999)
    with pytest.raises(InvalidOrderNumber):
        parse_order_number("A1-2026-01000000")  # never written with a leading zero
    assert OrderNumber(2026, 999_999) < OrderNumber(2026, 1_000_000)


@given(year=st.integers(1000, 9999), sequence=st.integers(1, MAX_ORDER_SEQUENCE))
def test_a_formatted_order_number_parses_back(year: int, sequence: int) -> None:
    assert parse_order_number(format_order_number(year, sequence)) == OrderNumber(year, sequence)


def test_order_numbers_sort_by_year_then_sequence() -> None:
    assert sorted([OrderNumber(2026, 1), OrderNumber(2025, 2), OrderNumber(2025, 1)]) == [
        OrderNumber(2025, 1),
        OrderNumber(2025, 2),
        OrderNumber(2026, 1),
    ]


# ticket codes


def test_the_alphabet_has_no_look_alike_characters() -> None:
    assert not set("0O1IL") & set(TICKET_CODE_ALPHABET)
    assert len(set(TICKET_CODE_ALPHABET)) == len(TICKET_CODE_ALPHABET) == 31


def test_a_new_ticket_code_is_tkt_and_twelve_alphabet_characters() -> None:
    code = new_ticket_code()

    assert re.fullmatch(f"TKT-[{TICKET_CODE_ALPHABET}]{{12}}", code)
    assert normalize_ticket_code(code) == code


def test_new_ticket_codes_do_not_repeat() -> None:
    assert len({new_ticket_code() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "typed",
    [
        "TKT-7K3M9XQ2H4WD",
        "tkt-7k3m9xq2h4wd",
        "7K3M9XQ2H4WD",
        " tkt 7k3m 9xq2 h4wd ",
        "7K3M-9XQ2-H4WD",
        "TKT7K3M9XQ2H4WD",
    ],
)
def test_typed_ticket_codes_normalize_to_the_canonical_form(typed: str) -> None:
    assert normalize_ticket_code(typed) == "TKT-7K3M9XQ2H4WD"


def test_a_code_whose_body_starts_with_tkt_keeps_it() -> None:
    assert normalize_ticket_code("tktabcdefghj") == "TKT-TKTABCDEFGHJ"
    assert normalize_ticket_code("TKT-TKTABCDEFGHJ") == "TKT-TKTABCDEFGHJ"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "TKT-",
        "TKT-7K3M9XQ2H4W",  # 11 characters
        "TKT-7K3M9XQ2H4WDX",  # 13 characters
        "TKT-7K3M9XQ2H4W0",  # zero
        "TKT-7K3M9XQ2H4WO",  # letter O
        "TKT-7K3M9XQ2H4W1",
        "TKT-7K3M9XQ2H4WI",
        "TKT-7K3M9XQ2H4WL",
        "ABC-7K3M9XQ2H4WD",
        "TKT-7K3M9XQ2H4W_",
    ],
)
def test_anything_else_is_not_a_ticket_code(typed: str) -> None:
    with pytest.raises(InvalidTicketCode) as raised:
        normalize_ticket_code(typed)

    assert raised.value.code == "TICKET_CODE_INVALID"
    assert raised.value.errors[0].field == "ticket_code"


@given(body=st.text(alphabet=TICKET_CODE_ALPHABET.lower() + " -", min_size=0, max_size=20))
def test_normalizing_a_ticket_code_is_idempotent(body: str) -> None:
    try:
        canonical = normalize_ticket_code(body)
    except InvalidTicketCode:
        return
    assert normalize_ticket_code(canonical) == canonical
