"""The published schema of a voucher code is the rule the domain applies: a client that
checks its request against openapi.json is never refused for a code the schema allowed
(``voucher_code: "0"`` once passed the schema's 1-64 characters and was a 422)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from admitone.domain.catalog import normalize_voucher_code
from admitone.domain.errors import ValidationFailed
from scripts import openapi_document
from tests.conftest import ROOT

SAMPLES = [
    "0",
    "",
    "ab",
    "abc",
    "ABC",
    "summer-25",
    "SUMMER_25",
    "  padded  ",
    "\tTAB\n",
    "A" * 32,
    "A" * 33,
    "-ABC",
    "_ABC",
    "AB C",
    "ABC!",
    "ÄBC",
    "ﬀ0",  # a ligature that upper-cases to ASCII "FF0"
    " " * 64,
]


def _accepted_by_the_domain(code: str) -> bool:
    try:
        normalize_voucher_code(code)
    except ValidationFailed:
        return False
    return True


def _schemas() -> dict[str, Any]:
    document = json.loads((ROOT / openapi_document.DOCUMENT).read_text())
    schemas = document["components"]["schemas"]
    return {
        "POST /quotes voucher_code": schemas["QuoteRequest"]["properties"]["voucher_code"],
        "POST /orders voucher_code": schemas["PlaceOrderRequest"]["properties"]["voucher_code"],
        "POST /events/{id}/vouchers code": schemas["CreateVoucherRequest"]["properties"]["code"],
    }


@pytest.mark.parametrize("field", list(_schemas()))
def test_the_schema_allows_exactly_the_codes_the_domain_accepts(field: str):
    validator = Draft202012Validator(_schemas()[field])
    disagreements = {
        code: {"schema": validator.is_valid(code), "domain": _accepted_by_the_domain(code)}
        for code in SAMPLES
        if validator.is_valid(code) != _accepted_by_the_domain(code)
    }
    assert disagreements == {}
