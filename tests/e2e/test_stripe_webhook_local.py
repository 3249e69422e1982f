"""On the local stack: a PaymentIntent confirmed in localstripe with the real SDK sends a
signed payment_intent.succeeded webhook, which lands in the FIFO queue in its group."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from stripe import StripeClient

from scripts.devstack.stack import ROOT
from scripts.devstack.template import REGION
from tests.e2e.conftest import StartStack

pytestmark = pytest.mark.e2e


def test_a_confirmed_payment_intent_reaches_the_payment_events_queue(start_stack: StartStack):
    stack, _ = start_stack(ROOT / "template.yaml")
    keys = stack.stack.secret_values["StripeSecret"]  # type: ignore[attr-defined]
    stripe = StripeClient(keys["api_key"], base_addresses={"api": stack.stripe_url})
    intent = stripe.v1.payment_intents.create(
        params={"amount": 5400, "currency": "usd", "payment_method_types": ["card"]}
    )
    # localstripe cannot take payment_method in confirm (LOCAL-STACK.md): modify first.
    stripe.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert stripe.v1.payment_intents.confirm(intent.id).status == "succeeded"

    sqs = boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=stack.moto_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts anything
    )
    queue_url = stack.stack.function("StripeWebhookFunction").environment[
        "PAYMENT_EVENTS_QUEUE_URL"
    ]
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while not found and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["MessageGroupId", "MessageDeduplicationId"],
        ).get("Messages", [])
        found += [m for m in messages if m["Attributes"]["MessageGroupId"] == intent.id]

    assert found, "no payment_intent.succeeded webhook reached the queue within 15 s"
    [message] = found
    event = json.loads(message["Body"])
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == intent.id
    assert message["Attributes"]["MessageDeduplicationId"] == event["id"]
