"""Addresses in their canonical form, checked again by the domain for callers that are
not HTTP requests (jobs, admin scripts): the door's stricter check is not the only one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.accounts import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    Principal,
    User,
    check_password_policy,
    normalize_email,
)
from admitone.domain.errors import InvalidEmail, WeakPassword
from admitone.domain.jwt_tokens import Role


def test_an_address_is_kept_in_one_canonical_form():
    assert normalize_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


@pytest.mark.parametrize(
    "address", ["not an address", "a@b", "@example.com", "x" * EMAIL_MAX_LENGTH + "@example.com"]
)
def test_what_is_not_an_address_is_refused_naming_the_field(address):
    with pytest.raises(InvalidEmail) as refused:
        normalize_email(address, field_name="attendee_email")
    assert [error.field for error in refused.value.errors] == ["attendee_email"]


@pytest.mark.parametrize(
    "password",
    ["p" * PASSWORD_MIN_LENGTH, "ü" * PASSWORD_MIN_LENGTH, "p" * PASSWORD_MAX_LENGTH],
    ids=["shortest", "characters-not-bytes", "longest"],
)
def test_a_password_of_10_to_128_characters_is_accepted(password):
    check_password_policy(password)


@pytest.mark.parametrize("length", [0, 1, PASSWORD_MIN_LENGTH - 1, PASSWORD_MAX_LENGTH + 1, 1000])
def test_a_password_too_short_or_too_long_is_refused_naming_the_field(length):
    with pytest.raises(WeakPassword) as refused:
        check_password_policy("p" * length, field_name="new_password")
    assert refused.value.code == "PASSWORD_POLICY"
    assert [(e.field, e.message, e.code) for e in refused.value.errors] == [
        ("new_password", "must be 10 to 128 characters", "PASSWORD_POLICY")
    ]


def _principal(user_id: str, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles), email=f"{user_id}@example.com")


def test_an_owner_manages_what_they_own_only_while_they_are_an_organizer() -> None:
    assert _principal("usr_a", Role.ORGANIZER).manages("usr_a")
    assert not _principal("usr_a", Role.BUYER).manages("usr_a")
    assert not _principal("usr_b", Role.ORGANIZER).manages("usr_a")


def test_an_admin_manages_what_anyone_owns() -> None:
    assert _principal("usr_x", Role.ADMIN).manages("usr_a")


def test_a_caller_has_any_of_the_roles_it_holds_and_none_other() -> None:
    organizer = _principal("usr_a", Role.BUYER, Role.ORGANIZER)
    assert organizer.has_any(Role.ORGANIZER, Role.ADMIN)
    assert organizer.has_any(Role.BUYER)
    assert not organizer.has_any(Role.ADMIN)
    assert not organizer.has_any()
    assert not organizer.is_admin


_SECOND = datetime(2026, 11, 23, 18, 6, 12, tzinfo=UTC)


def _user(*, revoked_at: datetime | None = None, suspended_at: datetime | None = None) -> User:
    return User(
        id="usr_a",
        email="a@example.com",
        name="A",
        roles=(Role.BUYER,),
        created_at=_SECOND - timedelta(days=30),
        sessions_revoked_at=revoked_at,
        suspended_at=suspended_at,
    )


def test_tokens_of_a_user_whose_sessions_were_never_revoked_stand() -> None:
    user = _user()
    assert not user.access_revoked(_SECOND - timedelta(days=1))
    assert user.access_alive_from is None


def test_a_revocation_ends_every_token_of_its_second_and_before() -> None:
    user = _user(revoked_at=_SECOND + timedelta(milliseconds=500))
    # iat is whole seconds: 12 s may have been 12.1 s (before) or 12.7 s (after).
    assert user.access_revoked(_SECOND)
    assert user.access_revoked(_SECOND - timedelta(minutes=5))
    assert not user.access_revoked(_SECOND + timedelta(seconds=1))


def test_tokens_are_alive_from_the_second_after_a_revocation() -> None:
    user = _user(revoked_at=_SECOND + timedelta(milliseconds=500))
    assert user.access_alive_from == _SECOND + timedelta(seconds=1)
    assert not user.access_revoked(_SECOND + timedelta(seconds=1))


def test_nothing_a_suspended_user_holds_stands() -> None:
    user = _user(suspended_at=_SECOND)
    assert user.is_suspended
    assert user.access_revoked(_SECOND + timedelta(hours=1))
    assert not _user().is_suspended
