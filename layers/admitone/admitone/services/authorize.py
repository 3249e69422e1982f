"""The API's Lambda authorizer decision: verify the bearer access token.

Every request is let through with a context that describes the token; the shared
resolver (http/principal.py) answers 401 problem+json when it is not valid, which a
plain authorizer denial (a bare 403) could not. Context values are strings, numbers
and booleans only, as API Gateway requires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.errors import InvalidToken
from admitone.domain.jwt_tokens import AccessClaims, verify_jwt
from admitone.domain.tokens import TokenRejection
from admitone.observability import logger


def authorize(authorization: str | None, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return {"authenticated": False, "reason": TokenRejection.MALFORMED.value}
    try:
        verified = verify_jwt(
            token.strip(), AccessClaims, keys=load_keyset(), issuer=settings().jwt_issuer, now=now
        )
    except InvalidToken as rejected:
        logger.info("access token rejected", extra={"reason": rejected.reason})
        return {"authenticated": False, "reason": str(rejected.reason)}
    claims = verified.claims
    return {
        "authenticated": True,
        "sub": claims.sub,
        "roles": ",".join(role.value for role in claims.roles),
        "email": claims.email,
        "exp": int(verified.expires_at.timestamp()),
    }
