"""Rotate a refresh token. Presenting one that was already rotated means it leaked:
the whole family is revoked, the thief's copy and the owner's alike."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters.dynamo import accounts
from admitone.domain.errors import RefreshTokenInvalid, RefreshTokenReused
from admitone.observability import logger
from admitone.services.login import remember_source
from admitone.services.session_tokens import REFRESH_LIFETIME, RefreshToken, TokenPair, issue_pair


def clock() -> datetime:
    """The moment a refresh happens at (tests replace it, as login's)."""
    return datetime.now(UTC)


def refresh_session(
    refresh_token: str, *, source: str | None = None, now: datetime | None = None
) -> TokenPair:
    """A new token pair for the presented refresh token. The successor expires a week
    from now, or at the session's absolute end (``SESSION_LIFETIME`` after sign-in).
    ``source`` (the client's IP key) becomes known to the user's address: it holds a
    live session, so the login backoff spares it like a network signed in from."""
    now = now or clock()
    presented = RefreshToken.parse(refresh_token)
    successor = RefreshToken.new()
    try:
        rotation = accounts.rotate_refresh_token(
            token_id=presented.token_id,
            secret_hash=presented.secret_hash,
            new_token_id=successor.token_id,
            new_secret_hash=successor.secret_hash,
            now=now,
            expires_at=now + REFRESH_LIFETIME,
        )
    except accounts.RotationRefused as refused:
        if refused.why == accounts.RotationRefused.REUSED and refused.family_id:
            accounts.revoke_session(refused.family_id)
            logger.warning("refresh token reused; session family revoked")
            raise RefreshTokenReused(
                "This refresh token was already used; sign in again."
            ) from None
        raise RefreshTokenInvalid("The refresh token is not valid; sign in again.") from None
    user = accounts.user_by_id(rotation.user_id, consistent=True)
    # A revocation that came between the rotation and this read ends the session too.
    if user is None or (
        user.sessions_revoked_at is not None
        and user.sessions_revoked_at >= rotation.session_started_at
    ):
        raise RefreshTokenInvalid("The refresh token is not valid; sign in again.")
    pair = issue_pair(user, successor, now, refresh_expires_at=rotation.expires_at)
    if source:
        remember_source(user.email, source, now, only_if_stale=True)
    return pair
