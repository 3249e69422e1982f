"""RFC 9457 problem+json: the one place where errors become HTTP responses.

Every error a client sees has ``type``, ``title``, ``status``, ``detail``, a stable
``code`` and, for input errors, ``errors[]`` naming each offending field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

from admitone.domain.errors import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    Locked,
    NotFound,
    Throttled,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from admitone.http.bodies import MAX_JSON_DEPTH

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://problems.admitone.dev/"

_STATUS_BY_ERROR: Mapping[type[DomainError], int] = {
    ValidationFailed: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    Gone: 410,
    DependencyUnavailable: 503,
    Locked: 423,
    Throttled: 429,
    UnsupportedMediaType: 415,
}


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error: its nearest mapped ancestor, else 400."""
    for cls in type(error).__mro__:
        if cls in _STATUS_BY_ERROR:
            return _STATUS_BY_ERROR[cls]
    return 400


def problem_type(code: str) -> str:
    return TYPE_BASE + code.lower().replace("_", "-")


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    field_errors = [
        {"field": error.field, "message": error.message, "code": error.code} for error in errors
    ]
    if field_errors:
        body["errors"] = field_errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[str]:
    body = problem_body(
        status=status, code=code, title=title, detail=detail, errors=errors, extra=extra
    )
    return Response(
        status_code=status,
        content_type=CONTENT_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=dict(headers or {}),
    )


def from_domain_error(error: DomainError) -> Response[str]:
    headers: dict[str, str] = {}
    if isinstance(error, Locked):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, Unauthenticated):
        # RFC 6750: tell the client which scheme, and that the token is the problem.
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{error.code}"'
        )
    return problem_response(
        status=status_for(error),
        code=error.code,
        title=error.title,
        detail=error.detail,
        errors=error.errors,
        headers=headers,
    )


def _field_name(location: Sequence[Any]) -> str:
    # Powertools prefixes the source ("body", "query", "path", "header"); keep it,
    # it tells the client where to look: body.items[0].quantity.
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> Response[str]:
    """Map pydantic/Powertools validation errors to 400 (unparseable) or 422 (invalid)."""
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(
            status=400,
            code="BODY_NOT_JSON",
            title="The request body is not valid JSON",
            detail="Send a JSON object with Content-Type: application/json.",
        )
    field_errors = tuple(
        FieldError(
            field=_field_name(error.get("loc", ())),
            message=str(error.get("msg", "invalid value")),
            code=str(error.get("type", "invalid")).upper(),
        )
        for error in errors
    )
    return problem_response(
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail=f"{len(field_errors)} field(s) are invalid.",
        errors=field_errors,
    )


# ------------------------------------------------------------------ the contract
# The shape above as JSON Schema: every error response of openapi.json points here.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable, `errors[]` names each field.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    # Some problems carry more members (a rate limit's `family`, a sold-out `ticket_type_id`).
    "additionalProperties": True,
}

_DESCRIPTIONS: Mapping[int, str] = {
    400: (
        "The request is malformed (a body that is not UTF-8 JSON or nests arrays and objects"
        f" more than {MAX_JSON_DEPTH} deep, a missing Idempotency-Key)."
    ),
    401: "No valid credential (access token, device token or link token).",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource, or not yours.",
    409: "The resource's state does not allow this now.",
    410: "The link or window has closed.",
    413: "The body is too large.",
    415: "The body is not JSON (send Content-Type: application/json).",
    422: "An input is invalid; `errors[]` names each offending field.",
    423: "Locked for a while; see Retry-After.",
    429: "Too many requests; see Retry-After.",
    503: "A dependency is unavailable; nothing was changed, retry later.",
}

_GATEWAY_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}


# The OpenAPI extension a route's own error statuses travel in, from its decorator to
# scripts/openapi (which turns them into Problem responses and drops the extension).
# Not ``responses=``: Powertools then leaves out the success response it derives from the
# route's return type.
ERRORS_EXTENSION = "x-admitone-errors"


def documented(*statuses: int) -> dict[str, Any]:
    """A route's own error answers: ``@app.post(path, openapi_extensions=documented(409))``."""
    unknown = [status for status in statuses if status not in _DESCRIPTIONS]
    if unknown:
        raise ValueError(f"no description for status {unknown}")
    return {ERRORS_EXTENSION: list(statuses)}


def error_response(
    status: int, *, description: str | None = None, gateway_answers: bool = False
) -> dict[str, Any]:
    """One error response of openapi.json: problem+json, plus API Gateway's own JSON
    message where the gateway answers first (a request without an Authorization header)."""
    content: dict[str, Any] = {
        CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
    }
    if gateway_answers:
        content["application/json"] = {"schema": _GATEWAY_MESSAGE}
    return {"description": description or _DESCRIPTIONS[status], "content": content}
