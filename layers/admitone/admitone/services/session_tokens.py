"""The tokens a signed-in user holds: a short-lived access JWT and an opaque, rotating
refresh token (``rt.<token id>.<secret>``; only the secret's SHA-256 is stored).

A session (one refresh-token family) lives for a week after its last rotation, and
never longer than ``SESSION_LIFETIME`` after the sign-in that started it. A suspended
user gets no tokens: sign-in and refresh both end in ``issue_pair``."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from admitone.adapters.dynamo import accounts
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.accounts import User
from admitone.domain.errors import AccountSuspended, RefreshTokenInvalid
from admitone.domain.jwt_tokens import PROFILES, AccessClaims, TokenKind, issue_jwt

# Sliding: each rotation grants this much more, up to the session's absolute end.
REFRESH_LIFETIME = timedelta(days=7)
# Absolute: a session ends this long after its sign-in, however often it rotates.
SESSION_LIFETIME = timedelta(days=30)
# Longest wait for the second after a revocation (one second, plus clock skew).
MAX_ISSUE_WAIT = timedelta(seconds=2)
ACCESS_LIFETIME = PROFILES[TokenKind.ACCESS].lifetime or timedelta(minutes=15)
_REFRESH_FORMAT = re.compile(r"^rt\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class RefreshToken:
    token_id: str
    secret: str = field(repr=False)

    @classmethod
    def new(cls) -> RefreshToken:
        return cls(secrets.token_urlsafe(12), secrets.token_urlsafe(32))

    @classmethod
    def parse(cls, text: str) -> RefreshToken:
        match = _REFRESH_FORMAT.match(text)
        if match is None:
            raise RefreshTokenInvalid("The refresh token is not valid.")
        return cls(match.group(1), match.group(2))

    @property
    def secret_hash(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()

    def __str__(self) -> str:
        return f"rt.{self.token_id}.{self.secret}"


@dataclass(frozen=True)
class TokenPair:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105  (the OAuth token type, not a secret)


def _issuing_moment(user: User, now: datetime) -> datetime:
    """``now``, unless it falls in the second of the user's last revocation: an access
    token carries whole seconds, so one issued then would be refused with the tokens
    the revocation ended. Then wait for the next second (under a second, plus any
    clock skew up to ``MAX_ISSUE_WAIT``) and issue at it."""
    alive_from = user.access_alive_from
    if alive_from is None or now >= alive_from:
        return now
    time.sleep(min(alive_from - now, MAX_ISSUE_WAIT).total_seconds())
    return alive_from


def refuse_suspended(user: User) -> None:
    if user.is_suspended:
        raise AccountSuspended("This account is suspended.")


def start_session(user: User, refresh: RefreshToken, *, family_id: str, now: datetime) -> None:
    """Store a new session whose first refresh token is ``refresh``: for a user who
    just proved who they are, and is not suspended."""
    refuse_suspended(user)
    accounts.start_session(
        user_id=user.id,
        family_id=family_id,
        token_id=refresh.token_id,
        secret_hash=refresh.secret_hash,
        now=now,
        expires_at=now + REFRESH_LIFETIME,
        ends_at=now + SESSION_LIFETIME,
    )


def issue_pair(
    user: User,
    refresh: RefreshToken,
    now: datetime,
    *,
    refresh_expires_at: datetime | None = None,
) -> TokenPair:
    """The tokens to hand over; ``refresh_expires_at`` is the refresh token's expiry
    (a new session's, a week from ``now``, unless said)."""
    refuse_suspended(user)
    access = issue_jwt(
        AccessClaims(sub=user.id, roles=user.roles, email=user.email),
        keys=load_keyset(),
        issuer=settings().jwt_issuer,
        now=_issuing_moment(user, now),
    )
    refresh_expiry = int((refresh_expires_at or now + REFRESH_LIFETIME).timestamp())
    return TokenPair(
        access_token=access.token,
        refresh_token=str(refresh),
        expires_in=int(ACCESS_LIFETIME.total_seconds()),
        refresh_expires_in=max(0, refresh_expiry - int(now.timestamp())),
    )
