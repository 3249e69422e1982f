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
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

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
