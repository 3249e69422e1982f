"""Human-facing codes: order numbers ``A1-{year}-{sequence}`` and ticket codes ``TKT-…``.

Contract:
- An order number MUST be ``A1-`` + a four-digit year + ``-`` + the sequence in
  1..``MAX_ORDER_SEQUENCE``, zero-padded to six digits (past 999999 it simply has more:
  ``A1-2026-1000000``, never with a leading zero). The sequence is unique per year;
  this module only formats it.
- A ticket code MUST be ``TKT-`` + 12 characters from ``TICKET_CODE_ALPHABET`` (digits
  and capitals without the look-alikes 0, O, 1, I, L), drawn with ``secrets``.
- Input typed by people MAY differ in case, spaces and hyphens, and MAY omit the
  prefix; ``normalize_*`` turns it into the canonical form or raises a domain error.
  Look-alike characters are never guessed into valid ones.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from admitone.domain.errors import FieldError, InvalidOrderNumber, InvalidTicketCode

ORDER_NUMBER_PREFIX = "A1"
MIN_ORDER_YEAR = 1000
MAX_ORDER_YEAR = 9999
# Containers claim numbers in blocks and leave gaps, so a busy year may pass 999,999:
# twelve digits last a year at 20,000 orders a second.
MAX_ORDER_SEQUENCE = 999_999_999_999

TICKET_CODE_PREFIX = "TKT"
TICKET_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TICKET_CODE_LENGTH = 12

# Whitespace of any kind and the hyphen/dash characters phones and word processors type.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
# A year, then six digits, or more without a leading zero (the canonical form only).
_ORDER_DIGITS = re.compile(r"([0-9]{4})([0-9]{6}|[1-9][0-9]{6,11})")
_TICKET_BODY = re.compile(f"[{TICKET_CODE_ALPHABET}]{{{TICKET_CODE_LENGTH}}}")


@dataclass(frozen=True, order=True)
class OrderNumber:
    """A year and its sequence; ``str()`` gives the canonical ``A1-2025-000042``."""

    year: int
    sequence: int

    def __post_init__(self) -> None:
        if not MIN_ORDER_YEAR <= self.year <= MAX_ORDER_YEAR:
            raise ValueError(f"order number year must have four digits: {self.year}")
        if not 1 <= self.sequence <= MAX_ORDER_SEQUENCE:
            raise ValueError(
                f"order number sequence must be 1..{MAX_ORDER_SEQUENCE}: {self.sequence}"
            )

    def __str__(self) -> str:
        return f"{ORDER_NUMBER_PREFIX}-{self.year:04d}-{self.sequence:06d}"


def format_order_number(year: int, sequence: int) -> str:
    """``A1-{year}-{sequence:06d}`` (six digits or more); ``ValueError`` if the sequence is
    exhausted or invalid."""
    return str(OrderNumber(year, sequence))


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def parse_order_number(text: str) -> OrderNumber:
    """Read an order number as typed: ``a1 2025 000042`` and ``2025-000042`` both work.

    Raises ``InvalidOrderNumber`` unless the text holds exactly a year and a sequence as
    ``str(OrderNumber)`` writes it (six digits, or more without a leading zero),
    optionally after the ``A1`` prefix.
    """
    compact = _compact(text).removeprefix(ORDER_NUMBER_PREFIX)
    if found := _ORDER_DIGITS.fullmatch(compact):
        year, sequence = int(found[1]), int(found[2])
        if year >= MIN_ORDER_YEAR and sequence >= 1:
            return OrderNumber(year, sequence)
    raise InvalidOrderNumber(
        "An order number looks like A1-2025-000042.",
        errors=(
            FieldError("order_number", "must look like A1-2025-000042", InvalidOrderNumber.code),
        ),
    )


def normalize_order_number(text: str) -> str:
    """The canonical ``A1-{year}-{sequence}`` for what a person typed."""
    return str(parse_order_number(text))


def new_ticket_code() -> str:
    """A fresh, unguessable ticket code (about 59 bits from ``secrets``)."""
    body = "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_LENGTH))
    return f"{TICKET_CODE_PREFIX}-{body}"


def normalize_ticket_code(text: str) -> str:
    """The canonical ``TKT-XXXXXXXXXXXX`` for what a person typed.

    Case, spaces and hyphens are ignored and the ``TKT`` prefix is optional; the length
    tells a prefix from a body that happens to start with ``TKT``. Raises
    ``InvalidTicketCode`` otherwise, including for the look-alikes 0, O, 1, I, L.
    """
    compact = _compact(text)
    prefixed_length = len(TICKET_CODE_PREFIX) + TICKET_CODE_LENGTH
    if len(compact) == prefixed_length and compact.startswith(TICKET_CODE_PREFIX):
        compact = compact.removeprefix(TICKET_CODE_PREFIX)
    if not _TICKET_BODY.fullmatch(compact):
        raise InvalidTicketCode(
            "A ticket code is TKT- followed by 12 letters and digits.",
            errors=(
                FieldError(
                    "ticket_code",
                    "must be TKT- and 12 characters (no 0, O, 1, I or L)",
                    InvalidTicketCode.code,
                ),
            ),
        )
    return f"{TICKET_CODE_PREFIX}-{compact}"
