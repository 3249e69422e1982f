"""Stripe webhook events: handled types, FIFO groups, and the timestamp window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.stripe_events import (
    HANDLED_TYPES,
    TOLERANCE_SECONDS,
    ReceivedEvent,
    SignatureRejection,
    StripeEventMalformed,
    StripeSignatureInvalid,
    group_id,
    is_handled,
    read_event,
    signed_timestamp,
    timestamp_rejection,
)
from admitone.http.problems import status_for

NOW = datetime(2026, 11, 23, 18, 6, tzinfo=UTC)
T = int(NOW.timestamp())


def stripe_event(event_type: str, data_object: dict[str, Any], event_id: str = "evt_1") -> Any:
    return {"id": event_id, "object": "event", "type": event_type, "data": {"object": data_object}}


# ------------------------------------------------------------------ handled types
def test_exactly_the_types_rules_section_6_names_are_handled():
    assert (
        frozenset(
            {
                "payment_intent.succeeded",
                "payment_intent.payment_failed",
                "payment_intent.processing",
                "payment_intent.canceled",
                "payment_intent.amount_capturable_updated",
                "charge.refunded",
                "refund.created",
                "refund.updated",
                "charge.dispute.created",
                "charge.dispute.updated",
                "charge.dispute.closed",
            }
        )
        == HANDLED_TYPES
    )
    assert all(is_handled(event_type) for event_type in HANDLED_TYPES)


@pytest.mark.parametrize(
    "event_type",
    ["customer.created", "payment_intent.created", "charge.succeeded", "payout.paid", ""],
)
def test_other_types_are_not_handled(event_type):
    assert not is_handled(event_type)


# ------------------------------------------------------------------ FIFO groups
@pytest.mark.parametrize("event_type", sorted(t for t in HANDLED_TYPES if "payment_intent" in t))
def test_a_payment_intent_event_is_grouped_by_its_own_object(event_type):
    # A PaymentIntent's own `payment_intent` field does not exist; even if it did,
    # the object IS the PaymentIntent.
    assert group_id("evt_1", event_type, {"id": "pi_A", "payment_intent": "pi_B"}) == "pi_A"


@pytest.mark.parametrize(
    ("event_type", "data_object"),
    [
        ("charge.refunded", {"object": "charge", "id": "ch_1", "payment_intent": "pi_A"}),
        ("refund.created", {"object": "refund", "id": "re_1", "payment_intent": "pi_A"}),
        ("refund.updated", {"object": "refund", "id": "re_1", "payment_intent": "pi_A"}),
        ("charge.dispute.created", {"object": "dispute", "id": "dp_1", "payment_intent": "pi_A"}),
        ("charge.dispute.closed", {"object": "dispute", "id": "dp_1", "payment_intent": "pi_A"}),
        # Expanded (never in webhooks, but an expanded object must not break grouping).
        ("charge.refunded", {"id": "ch_1", "payment_intent": {"id": "pi_A", "object": "x"}}),
    ],
)
def test_charge_refund_and_dispute_events_are_grouped_by_their_payment_intent(
    event_type, data_object
):
    assert group_id("evt_1", event_type, data_object) == "pi_A"


@pytest.mark.parametrize("payment_intent", [None, "", 42, {"object": "payment_intent"}])
def test_without_a_payment_intent_the_object_id_is_the_group(payment_intent):
    data_object = {"id": "ch_legacy", "payment_intent": payment_intent}
    assert group_id("evt_1", "charge.refunded", data_object) == "ch_legacy"


@pytest.mark.parametrize("data_object", [{}, {"id": ""}, {"id": None, "payment_intent": None}])
def test_without_any_id_the_event_is_a_group_of_its_own(data_object):
    assert group_id("evt_1", "refund.updated", data_object) == "evt_1"


# ------------------------------------------------------------------ reading events
def test_a_handled_event_is_read_with_its_group():
    event = read_event(
        stripe_event("charge.dispute.created", {"id": "dp_1", "payment_intent": "pi_A"})
    )
    assert event == ReceivedEvent("evt_1", "charge.dispute.created", "pi_A")
    assert event.handled


def test_an_unhandled_event_has_no_group():
    event = read_event(stripe_event("customer.created", {"id": "cus_1"}))
    assert event == ReceivedEvent("evt_1", "customer.created", None)
    assert not event.handled


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
        {"id": "", "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": "evt_1", "data": {"object": {}}},
        {"id": "evt_1", "type": "", "data": {"object": {}}},
        {"id": "evt_1", "type": "payment_intent.succeeded"},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": "pi_1"},
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}},
    ],
)
def test_a_body_without_id_type_or_object_is_malformed(body):
    with pytest.raises(StripeEventMalformed) as caught:
        read_event(body)
    assert status_for(caught.value) == 400


# ------------------------------------------------------------------ timestamps
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"t={T},v1=abc", T),
        (f"v1=abc,t={T}", T),
        (f"t={T},v1=abc,t=1", T),  # the first one counts, as in stripe-python
        ("v1=abc", None),
        ("t=,v1=abc", None),
        ("t=soon,v1=abc", None),
        ("t", None),
        ("", None),
    ],
)
def test_the_signed_timestamp_is_the_first_t_element(header, expected):
    assert signed_timestamp(header) == expected


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS, -1, 0, 1, TOLERANCE_SECONDS])
def test_a_timestamp_within_300_seconds_either_way_is_accepted(offset):
    assert timestamp_rejection(f"t={T + offset},v1=abc", NOW) is None


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (-TOLERANCE_SECONDS - 1, SignatureRejection.STALE),
        (-86_400, SignatureRejection.STALE),
        (TOLERANCE_SECONDS + 1, SignatureRejection.FUTURE),
        (86_400, SignatureRejection.FUTURE),
    ],
)
def test_a_timestamp_beyond_300_seconds_either_way_is_refused(offset, reason):
    assert timestamp_rejection(f"t={T + offset},v1=abc", NOW) is reason


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_the_window_is_symmetric(offset):
    rejection = timestamp_rejection(f"t={T + offset},v1=abc", NOW)
    assert (rejection is None) == (abs(offset) <= TOLERANCE_SECONDS)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, SignatureRejection.MISSING),
        ("", SignatureRejection.MISSING),
        ("v1=abc", SignatureRejection.MALFORMED),
        ("t=later,v1=abc", SignatureRejection.MALFORMED),
    ],
)
def test_a_missing_or_unreadable_header_is_refused(header, reason):
    assert timestamp_rejection(header, NOW) is reason


def test_a_refused_signature_is_a_generic_400():
    error = StripeSignatureInvalid(SignatureRejection.FUTURE)
    assert status_for(error) == 400
    assert error.code == "STRIPE_SIGNATURE_INVALID"
    assert error.reason is SignatureRejection.FUTURE
    assert "future" not in error.detail  # the reason is for logs, not for the caller
