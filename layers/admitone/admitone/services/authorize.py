"""The API's Lambda authorizer decision: verify the bearer access token.

Every request is let through with a context that describes the token; the shared
resolver (http/principal.py) answers 401 problem+json when it is not valid, which a
plain authorizer denial (a bare 403) could not. Context values are strings, numbers
and booleans only, as API Gateway requires.

A well-signed token still has to speak for its user now: one consistent read of the
user refuses (reason ``revoked``) tokens issued in or before the second of the user's
last session revocation (role change, suspension, password reset), every token of a
suspended user, and tokens of users that no longer exist. The gateway does not cache
decisions (template.yaml ``ReauthorizeEvery: 0``), so a revocation holds at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import accounts
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.accounts import Principal
from admitone.domain.errors import DependencyUnavailable, Forbidden, InvalidToken
from admitone.domain.jwt_tokens import AccessClaims, Role, VerifiedJwt, verify_jwt
from admitone.domain.tokens import TokenRejection
from admitone.observability import logger


def _verified(authorization: str | None, now: datetime) -> VerifiedJwt[AccessClaims]:
    """The bearer access token, checked by its signature and claims (``InvalidToken``)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(TokenRejection.MALFORMED)
    return verify_jwt(
        token.strip(), AccessClaims, keys=load_keyset(), issuer=settings().jwt_issuer, now=now
    )


def authorize(authorization: str | None, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    try:
        verified = _verified(authorization, now)
        user = accounts.user_by_id(verified.claims.sub, consistent=True)
    except InvalidToken as rejected:
        logger.info("access token rejected", extra={"reason": rejected.reason})
        return {"authenticated": False, "reason": str(rejected.reason)}
    except DependencyUnavailable:
        # Fail closed (the keys or the user cannot be read, so neither the signature nor
        # a revocation can be checked); the resolver answers 503, the client retries.
        logger.warning("access token unchecked: a dependency is unavailable")
        return {"authenticated": False, "reason": TokenRejection.UNCHECKED.value}
    claims = verified.claims
    if user is None or user.access_revoked(verified.issued_at):
        logger.info("access token rejected", extra={"reason": TokenRejection.REVOKED.value})
        return {"authenticated": False, "reason": TokenRejection.REVOKED.value}
    return {
        "authenticated": True,
        "sub": claims.sub,
        "roles": ",".join(role.value for role in claims.roles),
        "email": claims.email,
        "exp": int(verified.expires_at.timestamp()),
    }


def admin_by_signature(authorization: str | None, *, now: datetime | None = None) -> Principal:
    """An admin, from their access token's signature and claims alone.

    For the deep health check only, which must answer while the table (where users and
    their revocations live) is down: a revoked admin's token reads which dependencies
    answer until it expires (15 minutes), and nothing else.
    """
    claims = _verified(authorization, now or datetime.now(UTC)).claims
    if Role.ADMIN not in claims.roles:
        raise Forbidden("Only admins can do this.")
    return Principal(user_id=claims.sub, roles=frozenset(claims.roles), email=claims.email)
