"""Issue 19: the local Stripe server holds a manual-capture PaymentIntent's money as
Stripe's test mode does (scripts/devstack/stripe_extensions.py), driven through the real
SDK: confirming authorizes (``requires_capture``, ``amount_capturable_updated``),
``capture`` charges only from there, ``cancel`` releases an authorization unpaid. The
webhooks arrive signed, in the order things happened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from admitone.adapters.stripe_api import stripe_client
from tests.integration.conftest import AwsStack
from tests.integration.payments_kit import WORKER
from tests.integration.shop import VISA, pay
from tests.integration.test_local_stripe_disputes import StripeEndpoint
from tests.integration.test_stripe_intake import webhook_secret


@pytest.fixture
def endpoint(aws: AwsStack, localstripe_url: str) -> Iterator[StripeEndpoint]:
    aws.use_function(WORKER)
    made = StripeEndpoint(localstripe_url, webhook_secret(aws))
    yield made
    made.close()


@pytest.fixture(autouse=True)
def stripe_of_the_app(aws: AwsStack) -> None:
    aws.use_function(WORKER)  # a function's environment: where its Stripe client is


def escrow_intent(amount: int = 15000) -> str:
    intent = stripe_client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method_types": ["card"],
            "capture_method": "manual",
        }
    )
    assert (intent.status, intent.capture_method) == ("requires_payment_method", "manual")
    return intent.id


def charge_of(intent: Any) -> Any:
    """The intent's charge as Stripe has it now (localstripe sends it expanded)."""
    latest = intent.latest_charge
    return stripe_client().v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)


def test_confirming_a_manual_capture_intent_authorizes_and_says_the_amount_is_capturable(
    endpoint: StripeEndpoint,
):
    intent_id = escrow_intent(15000)

    confirmed = pay(intent_id, VISA)

    assert confirmed.status == "requires_capture"
    assert (confirmed.amount_capturable, confirmed.amount_received) == (15000, 0)
    charge = charge_of(confirmed)
    assert (charge.status, charge.captured) == ("succeeded", False)
    [told] = endpoint.wait_for(intent_id, 1)
    assert told.seen == ("payment_intent.amount_capturable_updated", "requires_capture")
    assert told.event.data.object.amount_capturable == 15000


def test_capture_charges_the_authorized_amount_and_sends_succeeded(endpoint: StripeEndpoint):
    intent_id = escrow_intent(15000)
    pay(intent_id, VISA)

    captured = stripe_client().v1.payment_intents.capture(intent_id)

    assert captured.status == "succeeded"
    assert (captured.amount_capturable, captured.amount_received) == (0, 15000)
    assert charge_of(captured).captured is True
    assert [d.seen for d in endpoint.wait_for(intent_id, 2)] == [
        ("payment_intent.amount_capturable_updated", "requires_capture"),
        ("payment_intent.succeeded", "succeeded"),
    ]
    with pytest.raises(stripe.InvalidRequestError) as twice:
        stripe_client().v1.payment_intents.capture(intent_id)
    assert twice.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in str(twice.value.user_message)


@pytest.mark.parametrize("automatic", [False, True])
def test_capture_is_refused_unless_the_intent_requires_capture(automatic: bool):
    """Not yet confirmed, or an automatic-capture payment already charged."""
    if automatic:
        intent_id = (
            stripe_client()
            .v1.payment_intents.create(
                params={"amount": 5000, "currency": "usd", "payment_method_types": ["card"]}
            )
            .id
        )
        assert pay(intent_id, VISA).status == "succeeded"
    else:
        intent_id = escrow_intent()

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client().v1.payment_intents.capture(intent_id)

    assert refused.value.http_status == 400
    assert refused.value.code == "payment_intent_unexpected_state"
    assert "may be captured: requires_capture" in str(refused.value.user_message)
    after = stripe_client().v1.payment_intents.retrieve(intent_id)
    assert after.status == ("succeeded" if automatic else "requires_payment_method")


def test_cancelling_an_authorized_intent_releases_it_uncharged(endpoint: StripeEndpoint):
    intent_id = escrow_intent(15000)
    pay(intent_id, VISA)

    cancelled = stripe_client().v1.payment_intents.cancel(
        intent_id, params={"cancellation_reason": "abandoned"}
    )

    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")
    assert isinstance(cancelled.canceled_at, int)
    assert (cancelled.amount_capturable, cancelled.amount_received) == (0, 0)
    assert charge_of(cancelled).captured is False
    assert [d.seen for d in endpoint.wait_for(intent_id, 2)] == [
        ("payment_intent.amount_capturable_updated", "requires_capture"),
        ("payment_intent.canceled", "canceled"),
    ]
    with pytest.raises(stripe.InvalidRequestError) as capture:
        stripe_client().v1.payment_intents.capture(intent_id)
    assert capture.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client().v1.payment_intents.cancel(intent_id)
    assert again.value.code == "payment_intent_unexpected_state"


def test_an_unconfirmed_intent_cancels_with_word_and_a_paid_one_does_not(
    endpoint: StripeEndpoint,
):
    unpaid = escrow_intent()
    assert stripe_client().v1.payment_intents.cancel(unpaid).status == "canceled"
    [told] = endpoint.wait_for(unpaid, 1)
    assert told.seen == ("payment_intent.canceled", "canceled")

    paid = escrow_intent()
    pay(paid, VISA)
    stripe_client().v1.payment_intents.capture(paid)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client().v1.payment_intents.cancel(paid)
    assert refused.value.code == "payment_intent_unexpected_state"
    assert stripe_client().v1.payment_intents.retrieve(paid).status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client().v1.payment_intents.cancel(paid, params={"cancellation_reason": "bogus"})
