"""Admins: find users by address, set their roles."""

from __future__ import annotations

from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import User, normalize_email
from admitone.domain.errors import NotFound
from admitone.domain.jwt_tokens import Role
from admitone.observability import logger


def find_users(email: str) -> list[User]:
    found = accounts.user_with_hash_by_email(normalize_email(email))
    return [found[0]] if found else []


def set_roles(user_id: str, roles: tuple[Role, ...], *, changed_by: str) -> User:
    user = accounts.set_roles(user_id, tuple(dict.fromkeys(roles)))
    if user is None:
        raise NotFound("No such user.")
    logger.info(
        "roles changed",
        extra={
            "target_user": user_id,
            "changed_by": changed_by,
            "roles": [r.value for r in user.roles],
        },
    )
    return user
