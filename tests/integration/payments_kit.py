"""Driving the payment worker as Lambda's SQS integration does: Stripe events signed
with the Stripe scheme and delivered to the webhook route, the FIFO queue drained into
PaymentEventsFunction, failed records left for redelivery."""

from __future__ import annotations

import json
import random
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.stripe_api import stripe_client
from scripts.devstack.pollers import SqsPoller, sqs_event
from tests.integration.conftest import AwsStack, InProcessRuntime
from tests.integration.test_stripe_intake import deliver, event_body

WORKER = "PaymentEventsFunction"


def intent_payload(payment_intent_id: str) -> dict[str, Any]:
    """The PaymentIntent as Stripe reports it now (what its events carry)."""
    raw = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    return raw.to_dict()


def stripe_event(event_type: str, data_object: dict[str, Any], event_id: str) -> str:
    return event_body(event_type, json.loads(json.dumps(data_object, default=str)), event_id)


def source(aws: AwsStack):
    return next(s for s in aws.stack.sqs_sources() if s.function_id == WORKER)


def drain(aws: AwsStack) -> int:
    """Run the worker on everything queued, as the event source mapping would."""
    aws.use_function(WORKER)
    poller = SqsPoller(source(aws), InProcessRuntime(aws), aws.client("sqs"), None, print)  # type: ignore[arg-type]
    handled = 0
    while count := poller.poll_once():
        handled += count
    return handled


def receive_all(aws: AwsStack) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    messages = []
    while batch := sqs.receive_message(
        QueueUrl=source(aws).queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
    return messages


def worker_event(aws: AwsStack, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return sqs_event(source(aws), messages)


def deliver_all(aws: AwsStack, bodies: list[str], *, times: int = 1, seed: int = 0) -> None:
    """Every body delivered ``times`` times, in an order shuffled by ``seed``."""
    deliveries = [body for body in bodies for _ in range(times)]
    random.Random(seed).shuffle(deliveries)
    for body in deliveries:
        response = deliver(aws, body)
        assert response["statusCode"] == 200, response["body"]


def outbox_of(order_id: str) -> list[str]:
    """Event types of the outbox items about ``order_id``, oldest first."""
    items = table.all_of_sharded("GSI3", keys.outbox_pending_lists())
    return [
        item["event_type"] for item in items if item["detail"]["data"].get("order_id") == order_id
    ]
