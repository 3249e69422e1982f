"""Admins: find users by address, set their roles, suspend and reinstate them; and the
first admin of a deployment, whom no admin exists yet to appoint (scripts/create-admin).

A role change or a suspension ends every session of the user at once: their refresh
families and the access tokens they hold (the authorizer refuses tokens issued before
``sessions_revoked_at``), so no old token carries roles the user no longer has.
"""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters import passwords
from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import User, check_password_policy, normalize_email
from admitone.domain.errors import AlreadyExists, CannotSuspendSelf, EmailNotVerified, NotFound
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.observability import logger


def find_users(email: str) -> list[User]:
    found = accounts.user_with_hash_by_email(normalize_email(email))
    return [found[0]] if found else []


def set_roles(
    user_id: str, roles: tuple[Role, ...], *, changed_by: str, now: datetime | None = None
) -> User:
    """Replace the user's roles; when they change, every session of the user ends."""
    now = now or datetime.now(UTC)
    wanted = tuple(dict.fromkeys(roles))
    current = accounts.user_by_id(user_id, consistent=True)
    if current is None:
        raise NotFound("No such user.")
    if set(current.roles) == set(wanted):
        return current
    user = accounts.set_roles(user_id, wanted, now=now)
    if user is None:
        raise NotFound("No such user.")
    logger.info(
        "roles changed; sessions revoked",
        extra={
            "target_user": user_id,
            "changed_by": changed_by,
            "roles": [r.value for r in user.roles],
        },
    )
    return user


def suspend(
    user_id: str, *, reason: str | None, suspended_by: str, now: datetime | None = None
) -> User:
    """Suspend the user: no sign-in, no refresh, and every token they hold refused."""
    if user_id == suspended_by:
        raise CannotSuspendSelf("You cannot suspend your own account.")
    user = accounts.suspend_user(user_id, reason=reason, now=now or datetime.now(UTC))
    if user is None:
        raise NotFound("No such user.")
    # The reason is an admin's free text: it stays in the table, not in the logs.
    logger.warning(
        "user suspended; sessions revoked",
        extra={"target_user": user_id, "suspended_by": suspended_by},
    )
    return user


def reinstate(user_id: str, *, reinstated_by: str) -> User:
    """Lift a suspension; the user signs in again (the sessions it ended stay ended)."""
    user = accounts.reinstate_user(user_id)
    if user is None:
        raise NotFound("No such user.")
    logger.info("user reinstated", extra={"target_user": user_id, "reinstated_by": reinstated_by})
    return user


def create_admin(
    email: str, name: str, password: str, *, created_by: str, now: datetime | None = None
) -> User:
    """A new account holding ``buyer`` and ``admin``, its address taken as verified: the
    operator who runs this vouches for the mailbox (no e-mail is sent, so it works while
    SES is still in its sandbox). ``AlreadyExists`` if the address has an account."""
    now = now or datetime.now(UTC)
    address = normalize_email(email)
    check_password_policy(password)
    user = User(
        id=new_id(Prefix.USER, now=now),
        email=address,
        name=name.strip(),
        roles=(Role.BUYER, Role.ADMIN),
        created_at=now,
        email_verified=True,
    )
    try:
        accounts.create_user(user, passwords.hash_password(password))
    except accounts.EmailTaken:
        raise AlreadyExists(f"{address} already has an account.") from None
    logger.info("admin created", extra={"target_user": user.id, "changed_by": created_by})
    return user


def grant_admin(user: User, *, granted_by: str, now: datetime | None = None) -> User | None:
    """Add ``admin`` to an existing user's roles (their sessions end, as with any role
    change); None when they already hold it. Only to a verified address: the role goes
    to whoever proved they read its mail, never to whoever typed it in at sign-up."""
    if Role.ADMIN in user.roles:
        return None
    if not user.email_verified:
        raise EmailNotVerified(f"{user.email} has not verified its address yet.")
    return set_roles(user.id, (*user.roles, Role.ADMIN), changed_by=granted_by, now=now)
