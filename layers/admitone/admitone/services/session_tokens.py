"""The tokens a signed-in user holds: a short-lived access JWT and an opaque, rotating
refresh token (``rt.<token id>.<secret>``; only the secret's SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain.accounts import User
from admitone.domain.errors import RefreshTokenInvalid
from admitone.domain.jwt_tokens import PROFILES, AccessClaims, TokenKind, issue_jwt

REFRESH_LIFETIME = timedelta(days=7)
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


def issue_pair(user: User, refresh: RefreshToken, now: datetime) -> TokenPair:
    access = issue_jwt(
        AccessClaims(sub=user.id, roles=user.roles, email=user.email),
        keys=load_keyset(),
        issuer=settings().jwt_issuer,
        now=now,
    )
    return TokenPair(
        access_token=access.token,
        refresh_token=str(refresh),
        expires_in=int(ACCESS_LIFETIME.total_seconds()),
        refresh_expires_in=int(REFRESH_LIFETIME.total_seconds()),
    )
