"""Accounts reached by e-mail only: a ticket's recipient, a venue's new staff member.

Someone named by address gets an account at once, without a password: it holds what
was given to them, and its owner claims it by resetting the password (the reset link
proves the address). Nothing is sent from here; the outbox announces the change.
"""

from __future__ import annotations

from datetime import datetime

from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import User, normalize_email
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.observability import logger

# No argon2 hash is empty: an account with it cannot log in until a reset sets one.
_NO_PASSWORD = ""


def user_for_email(email: str, *, now: datetime, name: str | None = None) -> User:
    """The account of ``email``, created (unclaimed) when there is none."""
    address = normalize_email(email)
    found = accounts.user_with_hash_by_email(address)
    if found is not None:
        return found[0]
    user = User(
        id=new_id(Prefix.USER, now=now),
        email=address,
        name=(name or "").strip() or address.split("@", 1)[0],
        roles=(Role.BUYER,),
        created_at=now,
    )
    try:
        accounts.create_user(user, _NO_PASSWORD)
    except accounts.EmailTaken:  # created meanwhile by someone else: that one it is
        raced = accounts.user_with_hash_by_email(address)
        assert raced is not None  # an address claim is never deleted
        return raced[0]
    logger.info("unclaimed account created", extra={"user_id": user.id})
    return user
