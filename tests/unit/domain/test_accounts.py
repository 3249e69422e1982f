"""Addresses in their canonical form, checked again by the domain for callers that are
not HTTP requests (jobs, admin scripts): the door's stricter check is not the only one."""

from __future__ import annotations

import pytest

from admitone.domain.accounts import EMAIL_MAX_LENGTH, Principal, normalize_email
from admitone.domain.errors import InvalidEmail
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


def _principal(user_id: str, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles), email=f"{user_id}@example.com")


def test_an_owner_manages_what_they_own_only_while_they_are_an_organizer() -> None:
    assert _principal("usr_a", Role.ORGANIZER).manages("usr_a")
    assert not _principal("usr_a", Role.BUYER).manages("usr_a")
    assert not _principal("usr_b", Role.ORGANIZER).manages("usr_a")


def test_an_admin_manages_what_anyone_owns() -> None:
    assert _principal("usr_x", Role.ADMIN).manages("usr_a")
