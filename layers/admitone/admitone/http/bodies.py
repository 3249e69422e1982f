"""Request bodies and query strings: what a route reads, or a problem, decided before
any route code runs.

For a route that takes a body (a ``Body()`` parameter):

- a body under a media type other than JSON (``application/json`` or
  ``application/<anything>+json``, with no charset or ``charset=utf-8``) -> 415
  ``UNSUPPORTED_MEDIA_TYPE``; a body without a ``Content-Type`` is read as JSON;
- a body that is not base64 when the event says it is, not UTF-8, or not JSON -> 400
  ``BODY_NOT_JSON`` (``problems.from_validation_errors``); so is JSON that nests arrays
  and objects more than ``MAX_JSON_DEPTH`` deep, refused before it is parsed (the
  parser recurses once per level: 20,000 levels escaped it as a ``RecursionError``);
- an empty body is no body: the route's model says whether it needs one (422).

A query parameter the route does not read -> 422 naming ``query.<name>``, as an unknown
body field is (SPEC: unknown fields are rejected): a misspelt filter is a client's
mistake to hear about, not a silently ignored one.

Routes without a body parameter read nothing here, whatever the request carries: the
Stripe webhook verifies its raw bytes itself, and a GET with no content type is a GET.

Powertools runs its request validation before every middleware given to ``app.use``,
and that validation is what reads the body. So this module replaces the body reading of
the validation middleware itself (``JsonBodyValidation``, installed by
``read_json_bodies``); everything else about validation is Powertools'.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from email.message import Message
from itertools import accumulate
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from admitone.domain.errors import UnsupportedMediaType

JSON_MEDIA_TYPE = "application/json"
# Arrays and objects inside one another: far deeper than any request of ours nests,
# far shallower than where the parser's recursion gives out.
MAX_JSON_DEPTH = 64

# A JSON string literal, its closing quote optional: an unclosed one runs to the end
# (which the parser refuses anyway) and the pattern never backtracks into a rescan.
# Outside strings, every bracket of JSON text is structure.
_STRING_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_LEVEL_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/*+json``, in UTF-8 if a charset is named."""
    header = Message()
    header["content-type"] = content_type
    media_type = header.get_content_type()  # lower case, parameters dropped
    kind, _, subtype = media_type.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    charset = header.get_param("charset")
    return charset is None or (isinstance(charset, str) and charset.lower() in {"utf-8", "utf8"})


def _not_json(reason: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body",), "msg": reason, "input": {}, "ctx": {}}]
    )


def nesting_depth(text: str) -> int:
    """How deep ``text`` nests arrays and objects, were it JSON (exact when it is)."""
    brackets = _NOT_A_BRACKET.sub("", _STRING_LITERAL.sub("", text))
    return max(accumulate(map(_LEVEL_CHANGE.__getitem__, brackets)), default=0)


def json_body(raw: str | None, *, is_base64: bool, content_type: str | None) -> Any:
    """The parsed body, ``None`` for an empty one; raises ``UnsupportedMediaType`` or a
    ``json_invalid`` ``RequestValidationError``."""
    if not raw:
        return None
    if content_type is not None and content_type.strip() and not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"Send the body as {JSON_MEDIA_TYPE} (UTF-8); this route reads nothing else."
        )
    if is_base64:
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise _not_json("the body is not valid base64") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_json("the body is not UTF-8") from None
    if not text.strip():
        return None
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise _not_json(f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise _not_json("the body is not JSON") from None


def unknown_query_parameters(
    names: Iterable[str], known: Iterable[str]
) -> RequestValidationError | None:
    """The error naming each query parameter that is not one of ``known``, if any."""
    allowed = set(known)
    unknown = sorted(name for name in set(names) if name not in allowed)
    if not unknown:
        return None
    return RequestValidationError(
        [
            {"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown parameter"}
            for name in unknown
        ]
    )


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading bodies as this module says and refusing
    query parameters the route does not read."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' is unannotated

    def handler(self, app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        route = app.context["_route"]
        error = unknown_query_parameters(
            (app.current_event.query_string_parameters or {}).keys(),
            (param.alias for param in route.dependant.query_params),
        )
        if error is not None:
            raise error
        return super().handler(app, next_middleware)

    def _get_body(self, app: Any) -> Any:
        event = app.current_event
        return json_body(
            event.body,
            is_base64=bool(event.is_base64_encoded),
            content_type=event.headers.get("content-type"),
        )


def read_json_bodies(app: APIGatewayHttpResolver) -> None:
    """Make ``app``'s request validation (which runs first) read bodies as above."""
    # Powertools keeps the validation middleware here and puts it first in every route's
    # stack (aws-lambda-powertools is pinned; tests/integration/test_hostile_input.py
    # shows the effect through the real handlers).
    app._request_validation_middleware = JsonBodyValidation()
