"""Client idempotency keys: which keys are valid, what "the same request" is, which results
are kept, and the keys derived for Stripe."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.errors import Conflict, DomainError, ValidationFailed
from admitone.domain.idempotency import (
    MAX_KEY_LENGTH,
    MIN_KEY_LENGTH,
    REPLAY_WINDOW_SECONDS,
    STRIPE_KEY_PREFIX,
    DuplicateInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    IdempotencyScope,
    is_kept,
    parse_idempotency_key,
    request_fingerprint,
    stripe_idempotency_key,
)
from admitone.http.problems import status_for

KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
A_KEY = "7b3e2c1a-4f5d-4e8a-9b0c-1d2e3f4a5b6c"


# the key


@pytest.mark.parametrize(
    "key",
    [
        "a" * MIN_KEY_LENGTH,
        "Z" * MAX_KEY_LENGTH,
        A_KEY,
        "order:2026-11-23.retry_1",
        KEY_ALPHABET,
    ],
)
def test_a_key_of_8_to_255_allowed_characters_is_accepted_as_is(key: str) -> None:
    assert parse_idempotency_key(key) == key


@given(st.text(alphabet=KEY_ALPHABET, min_size=MIN_KEY_LENGTH, max_size=MAX_KEY_LENGTH))
def test_every_key_in_the_alphabet_and_length_range_is_valid(key: str) -> None:
    assert parse_idempotency_key(key) == key


@pytest.mark.parametrize("value", [None, ""])
def test_no_header_or_an_empty_one_is_a_missing_key(value: str | None) -> None:
    with pytest.raises(IdempotencyKeyMissing) as caught:
        parse_idempotency_key(value)

    assert caught.value.code == "IDEMPOTENCY_KEY_MISSING"
    assert caught.value.errors[0].field == "header.Idempotency-Key"


@pytest.mark.parametrize(
    "value",
    [
        "a" * (MIN_KEY_LENGTH - 1),
        "a" * (MAX_KEY_LENGTH + 1),
        "has space in it",
        "comma,separated",  # two headers, as API Gateway joins them
        "slash/inside",
        "ümlaut-key",
        " padded-key ",
        "newline\nkey1",
        "key-with-trailing-newline\n",
    ],
)
def test_anything_else_is_an_invalid_key_and_the_error_does_not_echo_it(value: str) -> None:
    with pytest.raises(IdempotencyKeyInvalid) as caught:
        parse_idempotency_key(value)

    error = caught.value
    assert error.code == "IDEMPOTENCY_KEY_INVALID"
    assert error.errors[0].field == "header.Idempotency-Key"
    assert value not in error.detail
    assert all(value not in (e.message + e.code) for e in error.errors)


def test_the_errors_map_to_the_statuses_of_rules_5() -> None:
    missing = IdempotencyKeyMissing("x")
    invalid = IdempotencyKeyInvalid("x")
    reused = IdempotencyKeyReused("x")
    in_progress = DuplicateInProgress("x")

    assert isinstance(missing, DomainError)
    assert (status_for(missing), status_for(invalid)) == (400, 400)
    assert isinstance(reused, ValidationFailed)
    assert (status_for(reused), reused.code) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert isinstance(in_progress, Conflict)
    assert (status_for(in_progress), in_progress.code) == (409, "DUPLICATE_IN_PROGRESS")


def test_a_result_is_replayed_for_24_hours() -> None:
    assert REPLAY_WINDOW_SECONDS == 86_400


# the same request


def test_a_json_body_is_compared_as_json_not_as_text() -> None:
    compact = request_fingerprint(path="/orders", query={}, body='{"a":1,"b":[1,2]}')
    spaced = request_fingerprint(path="/orders", query={}, body='{ "b": [1, 2],\n "a": 1 }')

    assert compact == spaced
    assert compact != request_fingerprint(path="/orders", query={}, body='{"a":2,"b":[1,2]}')


def test_a_body_that_is_not_json_is_compared_as_text() -> None:
    fingerprint = request_fingerprint(path="/orders", query={}, body="a=1&b=2")

    assert fingerprint["body"] == {"text": "a=1&b=2"}
    assert fingerprint != request_fingerprint(path="/orders", query={}, body="a=1&b=3")


def test_a_json_string_body_differs_from_the_same_text_unquoted() -> None:
    quoted = request_fingerprint(path="/orders", query={}, body='"abc"')
    bare = request_fingerprint(path="/orders", query={}, body="abc")

    assert quoted != bare


def test_no_body_an_empty_body_and_an_empty_object_are_three_requests() -> None:
    fingerprints = [
        request_fingerprint(path="/orders", query={}, body=body) for body in (None, "", "{}")
    ]

    assert fingerprints[0]["body"] is None
    assert len({repr(f) for f in fingerprints}) == 3


def test_the_path_and_the_query_are_part_of_the_request_but_not_the_query_order() -> None:
    base = request_fingerprint(path="/events/evt_1/orders", query={"a": "1", "b": "2"}, body="{}")

    assert base == request_fingerprint(
        path="/events/evt_1/orders", query={"b": "2", "a": "1"}, body="{}"
    )
    assert base != request_fingerprint(
        path="/events/evt_2/orders", query={"a": "1", "b": "2"}, body="{}"
    )
    assert base != request_fingerprint(path="/events/evt_1/orders", query={"a": "1"}, body="{}")


# what is kept


@pytest.mark.parametrize("status", [200, 201, 204, 400, 402, 403, 404, 409, 410, 422])
def test_answers_are_kept(status: int) -> None:
    assert is_kept(status)


@pytest.mark.parametrize("status", [408, 423, 429, 500, 502, 503, 504])
def test_come_back_later_is_not_an_answer_and_is_not_kept(status: int) -> None:
    assert not is_kept(status)


# Stripe


def test_the_stripe_key_is_stable_versioned_and_short() -> None:
    key = stripe_idempotency_key("usr_1 POST /orders payment_intent.create", A_KEY)

    assert key == stripe_idempotency_key("usr_1 POST /orders payment_intent.create", A_KEY)
    assert re.fullmatch(re.escape(STRIPE_KEY_PREFIX) + r"[0-9a-f]{64}", key)
    assert len(key) <= 255


def test_the_stripe_key_does_not_contain_ours_or_the_scope() -> None:
    key = stripe_idempotency_key("usr_ada", A_KEY)

    assert A_KEY not in key
    assert "usr_ada" not in key


def test_the_stripe_key_changes_with_the_scope_and_with_the_key() -> None:
    keys = {
        stripe_idempotency_key("usr_1", A_KEY),
        stripe_idempotency_key("usr_2", A_KEY),
        stripe_idempotency_key("usr_1", A_KEY + "x"),
        # The two parts cannot slide into each other.
        stripe_idempotency_key("usr_1" + A_KEY[:4], A_KEY[4:]),
    }

    assert len(keys) == 4


@pytest.mark.parametrize(("scope", "key"), [("", A_KEY), ("usr_1", "")])
def test_a_stripe_key_needs_a_scope_and_a_key(scope: str, key: str) -> None:
    with pytest.raises(ValueError, match="scope and a key"):
        stripe_idempotency_key(scope, key)


def test_a_scope_derives_one_stripe_key_per_operation_caller_and_route() -> None:
    scope = IdempotencyScope(caller="usr_1", route="POST /orders", key=A_KEY)

    create = scope.stripe_key("payment_intent.create")

    assert create == scope.stripe_key("payment_intent.create")
    assert create != scope.stripe_key("payment_intent.confirm")
    assert create != IdempotencyScope("usr_2", "POST /orders", A_KEY).stripe_key(
        "payment_intent.create"
    )
    assert create != IdempotencyScope("usr_1", "POST /refunds", A_KEY).stripe_key(
        "payment_intent.create"
    )


def test_a_scope_needs_the_stripe_operation() -> None:
    with pytest.raises(ValueError, match="operation"):
        IdempotencyScope("usr_1", "POST /orders", A_KEY).stripe_key("")
