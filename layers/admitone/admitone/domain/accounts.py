"""Accounts: who a user is, what a valid address and password are.

RULES §16: passwords 10-128 characters. (Its "lockout after 10 failures for 1 hour" is
replaced by the login backoff of domain/login_guard.py.)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from admitone.domain.errors import FieldError, InvalidEmail, WeakPassword
from admitone.domain.jwt_tokens import Role

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
# Deliberately loose (RFC 5322 is not a validation grammar): one @, a dotted domain,
# no spaces. Deliverability is proven by the verification e-mail, not by a regex.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


class NotificationPreferences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_updates: bool = True
    event_reminders: bool = True
    marketing: bool = False


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    roles: tuple[Role, ...]
    created_at: datetime
    email_verified: bool = False
    phone: str | None = None
    preferences: NotificationPreferences = field(default_factory=NotificationPreferences)
    # Sessions started before this moment are dead (password reset, role change,
    # suspension): their refresh-token families, and access tokens issued in or before
    # its second (``access_revoked``).
    sessions_revoked_at: datetime | None = None
    # Bumped by every password change; a reset link names the version it may replace,
    # so one change ends every link sent before it.
    password_version: int = 0
    # Set by an admin: a suspended user cannot sign in, and nothing they hold works.
    suspended_at: datetime | None = None
    suspension_reason: str | None = None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def access_revoked(self, issued_at: datetime) -> bool:
        """Whether an access token issued at ``issued_at`` no longer speaks for the user.

        Access tokens carry whole seconds (``iat``), so a token of the revocation's own
        second may be older or newer than it: every such token is dead, and a token is
        issued no earlier than ``access_alive_from`` (the issuer waits for it).
        """
        if self.is_suspended:
            return True
        if self.sessions_revoked_at is None:
            return False
        return _whole_second(issued_at) <= _whole_second(self.sessions_revoked_at)

    @property
    def access_alive_from(self) -> datetime | None:
        """The first moment an access token can be issued without being born revoked:
        the second after the last revocation (None when there was none). A token must
        not be dated later than it really is issued: a revocation later in the same
        second would miss it."""
        if self.sessions_revoked_at is None:
            return None
        return _whole_second(self.sessions_revoked_at) + timedelta(seconds=1)


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Principal:
    """Who is acting: the verified caller of a request."""

    user_id: str
    roles: frozenset[Role]
    email: str

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def manages(self, owner_id: str) -> bool:
        """Whether the caller may manage what ``owner_id`` owns: an admin, or the owner
        while they still hold the organizer role (ownership alone is not enough)."""
        return self.is_admin or (Role.ORGANIZER in self.roles and owner_id == self.user_id)


def canonical_email(email: str) -> str:
    """The form an address is stored and compared in (NFKC, trimmed, lower case)."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def normalize_email(email: str, *, field_name: str = "email") -> str:
    """The canonical form of an address (``canonical_email``), refused if it is none."""
    canonical = canonical_email(email)
    if len(canonical) > EMAIL_MAX_LENGTH or not _EMAIL.match(canonical):
        raise InvalidEmail(
            "That is not an e-mail address.",
            errors=(FieldError(field_name, "not an e-mail address", InvalidEmail.code),),
        )
    return canonical


def check_password_policy(password: str, *, field_name: str = "password") -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        message = f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters"
        raise WeakPassword(
            f"The password {message}.",
            errors=(FieldError(field_name, message, WeakPassword.code),),
        )
