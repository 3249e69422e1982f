"""Who is calling: the access token, verified by the authorizer, as a ``Principal``.

The authorizer lets every request with an Authorization header through and describes
the token in its context (see ``services/authorize.py``); this middleware turns an
invalid or expired token into 401 problem+json for every route behind the authorizer,
so a route cannot forget to check. Routes without the authorizer have no context and
no principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from admitone.domain.accounts import Principal
from admitone.domain.errors import DependencyUnavailable, Forbidden, InvalidToken, Unauthenticated
from admitone.domain.jwt_tokens import Role
from admitone.domain.tokens import TokenRejection
from admitone.observability import logger

_PRINCIPAL = "principal"


def authorizer_context(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    context = authorizer.get("lambda")
    return context if isinstance(context, Mapping) else None


def principal_from_context(context: Mapping[str, Any], now: datetime) -> Principal:
    if context.get("authenticated") is not True:
        if context.get("reason") == TokenRejection.UNCHECKED:
            raise DependencyUnavailable("The access token cannot be checked now; retry shortly.")
        raise InvalidToken(str(context.get("reason") or TokenRejection.MALFORMED))
    # The gateway caches decisions; the token's own expiry still bounds them.
    if int(context["exp"]) <= now.timestamp():
        raise InvalidToken(TokenRejection.EXPIRED)
    roles = frozenset(Role(role) for role in str(context["roles"]).split(",") if role)
    return Principal(user_id=str(context["sub"]), roles=roles, email=str(context["email"]))


def authenticate(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    context = authorizer_context(app.current_event.raw_event)
    if context is not None:
        principal = principal_from_context(context, datetime.now(UTC))
        logger.append_keys(user_id=principal.user_id)
        app.context[_PRINCIPAL] = principal
    return next_middleware(app)


def principal(app: APIGatewayHttpResolver, *roles: Role) -> Principal:
    """The caller; with ``roles``, one of them is required (else 403)."""
    caller = app.context.get(_PRINCIPAL)
    if not isinstance(caller, Principal):
        raise Unauthenticated("Sign in first.")
    if roles and not caller.has_any(*roles):
        raise Forbidden("You may not do this.")
    return caller
