"""The API speaks one dialect for money: every amount a response carries is an integer
of minor units named ``*_cents``, next to its ``currency`` (README, "For API clients").

Walked from openapi.json's response schemas, so a new view cannot slip back into
``total`` or ``unit_price`` unnoticed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from scripts import openapi_document
from tests.conftest import ROOT

# Words that name money when they appear in an integer property.
MONEY_WORDS = re.compile(
    r"price|total|subtotal|fee|discount|amount|tax|balance|refunded|paid"
    r"|gross|net|payable|reserve|pending|budget|spent"
)

# Integers whose names look like money but are not (schema.property).
NOT_MONEY = {
    "CancellationRefundsView.orders_total",  # a count of orders, not an amount
}

# Integers beside a ``currency`` that count things rather than money (schema.property).
COUNTS_BESIDE_A_CURRENCY = {
    "EventView.hold_minutes",
    "PublicEvent.hold_minutes",
    "PublicTicketType.available",  # tickets left to sell
    "PublicTicketType.max_per_order",
    "RoyaltySumView.resales",  # resales released in a range
    "RoyaltySumView.reversals",  # resales reversed in a range
    "TicketTypeView.capacity",
    "TicketTypeView.max_per_order",
    "TicketTypeView.max_scans",
    "TicketTypeView.shards",
}


def _is_integer(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        return True
    return any(_is_integer(option) for option in schema.get("anyOf", ()))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _objects(
    document: dict[str, Any], schema: dict[str, Any], seen: set[int]
) -> Iterator[dict[str, Any]]:
    """Every object schema a response may contain, nested ones included."""
    schema = _resolve(document, schema)
    if id(schema) in seen:
        return
    seen.add(id(schema))
    if "properties" in schema:
        yield schema
    children = [
        *schema.get("properties", {}).values(),
        *schema.get("anyOf", ()),
        *schema.get("oneOf", ()),
        *schema.get("allOf", ()),
    ]
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    for child in children:
        yield from _objects(document, child, seen)


def _response_objects(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                for media in response.get("content", {}).values():
                    if "schema" in media:
                        where = f"{method.upper()} {path} {status}"
                        seen: set[int] = set()
                        found += [(where, o) for o in _objects(document, media["schema"], seen)]
    return found


def unsuffixed_money(document: dict[str, Any]) -> set[str]:
    wrong: set[str] = set()
    for where, schema in _response_objects(document):
        properties = schema["properties"]
        beside_a_currency = "currency" in properties
        for name, prop in properties.items():
            if not _is_integer(_resolve(document, prop)) or name.endswith(("_cents", "_bps")):
                continue
            qualified = f"{schema.get('title', '?')}.{name}"
            looks_like_money = MONEY_WORDS.search(name) and qualified not in NOT_MONEY
            uncounted = beside_a_currency and qualified not in COUNTS_BESIDE_A_CURRENCY
            if looks_like_money or uncounted:
                wrong.add(f"{where}: {qualified}")
    return wrong


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads((ROOT / openapi_document.DOCUMENT).read_text())


def test_every_amount_of_money_a_response_carries_is_named_cents(committed: dict[str, Any]):
    assert sorted(unsuffixed_money(committed)) == []


def test_the_money_routes_are_walked(committed: dict[str, Any]):
    # The walk must reach the views that carry money, or the test above proves nothing.
    titles = {schema.get("title") for _, schema in _response_objects(committed)}
    assert {
        "QuoteView",
        "OrderTotalsView",
        "OrderLineView",
        "BalanceView",
        "PayoutView",
        "RefundView",
        "PublicTicketType",
        "EventSummary",
        "TicketTypeStatsView",
    } <= titles


def test_an_order_total_without_the_suffix_is_caught(committed: dict[str, Any]):
    document = json.loads(json.dumps(committed))
    totals = document["components"]["schemas"]["OrderTotalsView"]["properties"]
    totals["total"] = totals.pop("total_cents")
    assert unsuffixed_money(document) == {
        f"{method} {path} {status}: OrderTotalsView.total"
        for method, path, status in (
            ("POST", "/orders", "201"),
            ("GET", "/orders/{order_id}", "200"),
            ("POST", "/orders/{order_id}/cancel", "200"),
            ("GET", "/me/orders", "200"),
        )
    }


def prices_without_all_in(document: dict[str, Any]) -> set[str]:
    """Ticket prices offered for sale (``price_cents``, ``min_``/``max_price_cents``) shown
    without their all-in price beside them. A bill's ``unit_price_cents`` itemizes its
    fees on the next lines and is not an offer."""
    missing: set[str] = set()
    for where, schema in _response_objects(document):
        properties = schema["properties"]
        for prefix in ("", "min_", "max_"):
            if f"{prefix}price_cents" in properties and (
                f"{prefix}all_in_price_cents" not in properties
            ):
                missing.add(f"{where}: {schema.get('title', '?')}.{prefix}price_cents")
    return missing


def test_every_ticket_price_is_shown_with_its_all_in_price(committed: dict[str, Any]):
    assert sorted(prices_without_all_in(committed)) == []


def test_a_ticket_type_without_its_all_in_price_is_caught(committed: dict[str, Any]):
    document = json.loads(json.dumps(committed))
    del document["components"]["schemas"]["TicketTypeView"]["properties"]["all_in_price_cents"]
    assert prices_without_all_in(document) == {
        "POST /events/{event_id}/ticket-types 201: TicketTypeView.price_cents",
        "PATCH /events/{event_id}/ticket-types/{ticket_type_id} 200: TicketTypeView.price_cents",
    }
