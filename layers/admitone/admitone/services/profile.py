"""The signed-in user's own profile."""

from __future__ import annotations

from typing import Any

from admitone.adapters.dynamo import accounts
from admitone.adapters.dynamo.table import ConditionFailed
from admitone.domain.accounts import User
from admitone.domain.errors import NotFound


def get_profile(user_id: str) -> User:
    user = accounts.user_by_id(user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def update_profile(user_id: str, changes: dict[str, Any]) -> User:
    """Apply the fields present in ``changes`` (already validated); None clears a field."""
    if not changes:
        return get_profile(user_id)
    try:
        return accounts.update_profile(user_id, changes)
    except ConditionFailed:
        raise NotFound("No such user.") from None
