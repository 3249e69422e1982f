"""Unexpected errors to Sentry, with no personal data and no secrets.

Imported (and so sentry_sdk with it) only when a DSN is configured: ``observability``
decides. What leaves MUST NOT hold a request body, a header, a cookie, a query string,
a local variable, an e-mail address or a token: the SDK collects none of them
(``data_collection``) and every event passes ``scrub`` last, whatever added to it.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from sentry_sdk.integrations.aws_lambda import AwsLambdaIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST

# Field names whose values never leave (the SDK's list plus ours), compared with
# "-" as "_": breadcrumb data and extras are keyed by them.
_DENYLIST = frozenset(
    name.lower().replace("-", "_")
    for name in (
        *DEFAULT_DENYLIST,
        "x-device-token",
        "idempotency-key",
        "email",
        "refresh_token",
        "access_token",
        "password",
    )
)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_JWT = re.compile(r"\beyJ[\w-]*\.[\w-]*\.[\w-]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+\S+")
_SECRET_PAIR = re.compile(r"(?i)\b(\w*(?:token|secret|password|key|signature)\w*)=[^&\s\"']+")
# Of a request, only what names the route: no headers, cookies, body or query string.
_REQUEST_KEPT = ("method", "url")
_BREADCRUMB_DROPPED = ("http.query", "http.fragment")


def start(dsn: str, *, environment: str | None, release: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # In Lambda it wraps the runtime's handler: errors that escape it are sent,
        # tagged with the function and request, and the queue is flushed before freezing.
        integrations=[
            AwsLambdaIntegration(),
            # Logs stay breadcrumbs: errors are reported where they are caught, once.
            LoggingIntegration(level=logging.INFO, event_level=None),
        ],
        # Errors only (X-Ray traces when tracing is on); no library scanning at init.
        auto_enabling_integrations=False,
        # What the integrations may collect by themselves: nothing about the person or
        # the request (this SDK's successor to send_default_pii=False, which it deprecates).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
            "database_query_data": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        max_request_body_size="never",
        before_send=scrub,
    )


def report(error: BaseException, *, tags: dict[str, str]) -> None:
    with sentry_sdk.new_scope() as scope:
        for key, value in tags.items():
            scope.set_tag(key, value)
        sentry_sdk.capture_exception(error)


def scrub(event: Any, _hint: Any = None) -> Any:
    """The last word on every event: what could identify a person or open a door goes."""
    request = event.get("request")
    if isinstance(request, dict):
        kept = {key: request[key] for key in _REQUEST_KEPT if key in request}
        if isinstance(kept.get("url"), str):
            kept["url"] = _without_query(kept["url"])
        event["request"] = kept
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values if isinstance(values, list) else ():
        data = crumb.get("data") if isinstance(crumb, dict) else None
        if isinstance(data, dict):
            for key in _BREADCRUMB_DROPPED:
                data.pop(key, None)
            if isinstance(data.get("url"), str):
                data["url"] = _without_query(data["url"])
    return _redacted(event)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _denied(key: object) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_") in _DENYLIST


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        value = _EMAIL.sub("[email]", value)
        value = _JWT.sub("[token]", value)
        value = _BEARER.sub(r"\1 [token]", value)
        return _SECRET_PAIR.sub(r"\1=[redacted]", value)
    if isinstance(value, dict):
        return {
            key: "[redacted]" if _denied(key) else _redacted(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value
