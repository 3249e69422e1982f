"""How a request body is read: JSON media types, base64, UTF-8, empty bodies."""

from __future__ import annotations

import base64

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from admitone.domain.errors import UnsupportedMediaType
from admitone.http.bodies import (
    MAX_JSON_DEPTH,
    is_json_media_type,
    json_body,
    unknown_query_parameters,
)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/merge-patch+json",
        "application/problem+json; charset=utf8",
    ],
)
def test_json_in_utf8_is_json(content_type):
    assert is_json_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/jsonp",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
        ";;;",
    ],
)
def test_anything_else_is_not(content_type):
    assert not is_json_media_type(content_type)


def test_a_body_is_parsed_plain_or_base64_and_an_empty_one_is_none():
    assert json_body('{"a": 1}', is_base64=False, content_type=None) == {"a": 1}
    encoded = base64.b64encode('{"a": "é"}'.encode()).decode()
    assert json_body(encoded, is_base64=True, content_type="application/json") == {"a": "é"}
    assert json_body("", is_base64=False, content_type="text/plain") is None
    assert json_body(None, is_base64=True, content_type=None) is None
    assert json_body(base64.b64encode(b"  \n").decode(), is_base64=True, content_type=None) is None


@pytest.mark.parametrize(
    ("raw", "is_base64"),
    [
        ("{not json", False),
        ("\ud800", False),  # a lone surrogate: not UTF-8 text
        (base64.b64encode(b'{"a": "\xff"}').decode(), True),
        ("%%% not base64", True),
    ],
)
def test_a_body_that_is_not_utf8_json_is_a_json_invalid_error(raw, is_base64):
    with pytest.raises(RequestValidationError) as raised:
        json_body(raw, is_base64=is_base64, content_type="application/json")
    assert [error["type"] for error in raised.value.errors()] == ["json_invalid"]


def test_a_body_in_another_media_type_is_refused():
    with pytest.raises(UnsupportedMediaType):
        json_body("a=1", is_base64=False, content_type="application/x-www-form-urlencoded")


def test_query_parameters_the_route_does_not_read_are_each_named():
    error = unknown_query_parameters(["from", "colour", "sort"], known=["from", "to"])
    assert error is not None
    assert [e["loc"] for e in error.errors()] == [("query", "colour"), ("query", "sort")]
    assert unknown_query_parameters(["from"], known=["from", "to"]) is None


def _nested(depth: int, shape: str) -> str:
    if shape == "arrays":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_a_body_nested_past_the_bound_is_a_json_invalid_error_however_deep(shape):
    for depth in (MAX_JSON_DEPTH + 1, 20_000):
        with pytest.raises(RequestValidationError) as raised:
            json_body(_nested(depth, shape), is_base64=False, content_type=None)
        assert [error["type"] for error in raised.value.errors()] == ["json_invalid"]


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_a_body_nested_up_to_the_bound_is_read(shape):
    assert json_body(_nested(MAX_JSON_DEPTH, shape), is_base64=False, content_type=None)


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '{"a": "' + "[{" * 5_000 + '\\"]", "b": ["\\\\", {"c": "}}"}]}'
    assert json_body(text, is_base64=False, content_type=None) == {
        "a": "[{" * 5_000 + '"]',
        "b": ["\\", {"c": "}}"}],
    }
