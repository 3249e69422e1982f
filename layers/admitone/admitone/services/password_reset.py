"""Forgot / reset password. Forgetting always answers the same; resetting spends the
one-time token, sets the password and revokes every session of the user. A link is sent
for the password version of the moment and dies with it: using any one link (or any
other change of the password) ends every other link sent before."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters import mail, passwords
from admitone.adapters.dynamo import accounts, login_guard
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain import messages
from admitone.domain.accounts import check_password_policy, normalize_email
from admitone.domain.errors import InvalidToken, ResetLinkSuperseded
from admitone.domain.jwt_tokens import (
    PROFILES,
    PasswordResetClaims,
    TokenKind,
    issue_jwt,
    verify_jwt,
)
from admitone.domain.tokens import TokenRejection
from admitone.services.register import app_link

RESET_LIFETIME = PROFILES[TokenKind.PASSWORD_RESET].lifetime


def forgot_password(email: str, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    address = normalize_email(email)
    found = accounts.user_with_hash_by_email(address)
    if found is None:
        # The same work as for a known address: one e-mail, to the address asked about.
        mail.send_email(messages.reset_without_account(address, app_link("/register")))
        return
    user, _ = found
    token = issue_jwt(
        PasswordResetClaims(sub=user.id, pwv=user.password_version),
        keys=load_keyset(),
        issuer=settings().jwt_issuer,
        now=now,
    )
    minutes = int(RESET_LIFETIME.total_seconds() // 60) if RESET_LIFETIME else 30
    mail.send_email(
        messages.password_reset(
            user.email, user.name, app_link("/reset-password", token=token.token), minutes
        )
    )


def reset_password(token: str, password: str, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    check_password_policy(password)
    verified = verify_jwt(
        token, PasswordResetClaims, keys=load_keyset(), issuer=settings().jwt_issuer, now=now
    )
    user = accounts.user_by_id(verified.claims.sub)
    if user is None:
        raise InvalidToken(TokenRejection.INVALID_CLAIMS)
    if user.password_version != verified.claims.pwv:
        # Said before the costly hash; the write below checks it again, atomically.
        raise ResetLinkSuperseded
    accounts.reset_password(user.id, passwords.hash_password(password), link=verified, now=now)
    # The owner proved they hold the address: whatever guessing slowed it down is over.
    login_guard.forget(login_guard.Kind.ADDRESS, user.email)
    # Sources known from sign-ins with the old password (a thief's among them, maybe)
    # are strangers again until they sign in with the new one.
    login_guard.forget_known_sources(user.email)
    mail.send_email(messages.password_changed(user.email, user.name))
