"""Catalog rules: the event state machine, what each state lets change, and codes."""

from __future__ import annotations

import pytest

from admitone.domain.catalog import (
    EDITABLE_WHEN,
    EventStatus,
    normalize_city,
    normalize_voucher_code,
    require_editable,
    require_transition,
)
from admitone.domain.errors import InvalidTransition, ValidationFailed


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (EventStatus.DRAFT, EventStatus.PUBLISHED),
        (EventStatus.DRAFT, EventStatus.CANCELLED),
        (EventStatus.PUBLISHED, EventStatus.CANCELLED),
        (EventStatus.PUBLISHED, EventStatus.COMPLETED),
    ],
)
def test_the_event_lifecycle_moves_forward(current, target):
    require_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (EventStatus.PUBLISHED, EventStatus.DRAFT),
        (EventStatus.CANCELLED, EventStatus.PUBLISHED),
        (EventStatus.COMPLETED, EventStatus.CANCELLED),
        (EventStatus.DRAFT, EventStatus.COMPLETED),
        (EventStatus.PUBLISHED, EventStatus.PUBLISHED),
    ],
)
def test_the_event_lifecycle_never_moves_back_or_skips(current, target):
    with pytest.raises(InvalidTransition):
        require_transition(current, target)


def test_a_published_event_keeps_what_buyers_paid_for():
    require_editable(EventStatus.PUBLISHED, {"title", "description"})
    with pytest.raises(InvalidTransition) as refused:
        require_editable(EventStatus.PUBLISHED, {"title", "starts_at", "nft_enabled"})
    assert [error.field for error in refused.value.errors] == ["nft_enabled", "starts_at"]
    assert EDITABLE_WHEN[EventStatus.CANCELLED] == frozenset()


def test_voucher_codes_are_normalized_and_bounded():
    assert normalize_voucher_code("  early-bird ") == "EARLY-BIRD"
    for bad in ("ab", "has space", "x" * 40, "-LEADING"):
        with pytest.raises(ValidationFailed):
            normalize_voucher_code(bad)


def test_cities_compare_without_case_or_extra_spaces():
    assert normalize_city("  New   York ") == normalize_city("new york") == "new york"
