"""Verify an e-mail address with the one-time token from the verification e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters.dynamo import accounts
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.errors import InvalidToken, TokenAlreadyUsed
from admitone.domain.jwt_tokens import EmailVerificationClaims, email_fingerprint, verify_jwt
from admitone.domain.tokens import TokenRejection


def verify_email(token: str, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    verified = verify_jwt(
        token, EmailVerificationClaims, keys=load_keyset(), issuer=settings().jwt_issuer, now=now
    )
    user = accounts.user_by_id(verified.claims.sub)
    # The token names the address it was sent to: after a change of address it is void.
    if user is None or email_fingerprint(user.email) != verified.claims.eml:
        raise InvalidToken(TokenRejection.INVALID_CLAIMS)
    try:
        accounts.verify_email(user.id, verified.token_id, verified.expires_at)
    except accounts.OneTimeTokenSpent:
        raise TokenAlreadyUsed("This verification link was already used.") from None
