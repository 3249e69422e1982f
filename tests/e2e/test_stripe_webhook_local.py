"""On the local stack: a PaymentIntent confirmed in localstripe with the real SDK sends a
signed payment_intent.succeeded webhook, which is stored once, queued in its
PaymentIntent's group and handed to the payment worker."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from stripe import StripeClient

from scripts.devstack.stack import ROOT
from scripts.devstack.template import REGION
from tests.e2e.conftest import StartStack
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e


def worker_lines_about(logs: Any, payment_intent_id: str) -> list[dict[str, Any]]:
    lines = []
    for line in logs.of("PaymentEventsFunction"):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # INIT / REPORT lines
        if record.get("payment_intent_id") == payment_intent_id:
            lines.append(record)
    return lines


def test_a_confirmed_payment_intent_reaches_the_payment_worker_in_its_group(
    start_stack: StartStack,
):
    stack, logs = start_stack(ROOT / "template.yaml")
    keys = stack.stack.secret_values["StripeSecret"]  # type: ignore[attr-defined]
    stripe = StripeClient(keys["api_key"], base_addresses={"api": stack.stripe_url})
    intent = stripe.v1.payment_intents.create(
        params={"amount": 5400, "currency": "usd", "payment_method_types": ["card"]}
    )
    # localstripe cannot take payment_method in confirm (LOCAL-STACK.md): modify first.
    stripe.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    assert stripe.v1.payment_intents.confirm(intent.id).status == "succeeded"

    handled = wait_for(
        lambda: worker_lines_about(logs, intent.id),
        what="the payment_intent.succeeded webhook to reach the worker",
    )
    # No order of ours carries this PaymentIntent: the worker acknowledges it and says so.
    assert handled[-1]["message"] == "payment intent of no order of ours: ignored"
    assert handled[-1]["stripe_event_type"] == "payment_intent.succeeded"

    dynamodb = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=stack.moto_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts anything
    )
    table = stack.stack.function("StripeWebhookFunction").environment["TABLE_NAME"]
    event_id = handled[-1]["stripe_event_id"]
    item = dynamodb.get_item(
        TableName=table, Key={"PK": {"S": f"STRIPE_EVENT#{event_id}"}, "SK": {"S": "STRIPE_EVENT"}}
    )["Item"]
    assert item["group_id"]["S"] == intent.id
    assert item["enqueued"]["BOOL"] is True
