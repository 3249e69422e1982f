"""openapi.json is the API's contract: current with the code, valid OpenAPI 3.1, every
route of the template in it, every error a Problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from scripts import openapi_document
from scripts.devstack.template import Stack
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return openapi_document.build()


def test_the_committed_document_is_what_the_code_says(built: dict[str, Any]):
    committed = (ROOT / openapi_document.DOCUMENT).read_text()
    assert committed == openapi_document.render(built), "openapi.json is stale: run scripts/openapi"


def test_the_document_is_valid_openapi_3_1(built: dict[str, Any]):
    assert built["openapi"] == "3.1.0"
    validate(built)


def test_every_route_of_the_template_is_an_operation_and_nothing_else(built: dict[str, Any]):
    stack = Stack.load(ROOT, ROOT / "template.yaml")
    routes = {(r.method.lower(), r.path) for r in stack.http_routes()}
    operations = {(method, path) for path, item in built["paths"].items() for method in item}
    assert operations == routes


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_answer_is_a_problem_and_no_powertools_default_is_left(built: dict[str, Any]):
    assert "HTTPValidationError" not in json.dumps(built)
    for method, path, operation in _operations(built):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            content = answer["content"]
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }, f"{method} {path} {status}"


# Outside the authorizer (which reads the table) yet for signed-in callers: the deep
# health check verifies the admin's token itself, so it answers while the table is down.
_CHECK_THE_TOKEN_THEMSELVES = {("get", "/admin/health")}


def test_operations_say_who_may_call_them(built: dict[str, Any]):
    stack = Stack.load(ROOT, ROOT / "template.yaml")
    public = {(r.method.lower(), r.path) for r in stack.http_routes() if r.authorizer is None}
    for method, path, operation in _operations(built):
        assert operation["summary"], f"{method} {path} has no summary"
        names = {name for requirement in operation["security"] for name in requirement}
        if (method, path) in public and (method, path) not in _CHECK_THE_TOKEN_THEMSELVES:
            assert "accessToken" not in names, f"{method} {path} is public"
        else:
            assert "accessToken" in names, f"{method} {path} is behind the authorizer"
            assert "401" in operation["responses"]


def test_money_moving_posts_document_their_idempotency_key(built: dict[str, Any]):
    for path in ("/orders", "/orders/{order_id}/refunds", "/venues/{venue_id}/payouts"):
        parameters = built["paths"][path]["post"]["parameters"]
        key = next(p for p in parameters if p["name"] == "Idempotency-Key")
        assert key["in"] == "header"
        assert key["required"] is True


def test_two_components_with_one_name_and_different_shapes_fail_the_build():
    schemas: dict[str, Any] = {}
    openapi_document._merge_components(schemas, {"Order": {"type": "object"}}, "GET /a")
    openapi_document._merge_components(schemas, {"Order": {"type": "object"}}, "GET /b")
    with pytest.raises(openapi_document.ContractError, match="'Order'"):
        openapi_document._merge_components(schemas, {"Order": {"type": "string"}}, "GET /c")
