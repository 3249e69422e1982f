"""Admins: find users by address, set their roles, suspend and reinstate them.

A role change or a suspension ends every session of the user at once: their refresh
families and the access tokens they hold (the authorizer refuses tokens issued before
``sessions_revoked_at``), so no old token carries roles the user no longer has.
"""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import User, normalize_email
from admitone.domain.errors import CannotSuspendSelf, NotFound
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
