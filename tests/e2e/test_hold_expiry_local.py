"""Issue 6 proof 5 on the local stack, schedules running: an unpaid order whose hold has
ended is expired by the every-minute sweeper, and its seats sell again within 60 s."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import requests

from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.accounts import bearer, registered
from tests.e2e.clients import client_from
from tests.e2e.conftest import LogLines, free_ports
from tests.e2e.test_checkout_local import held_and_sold, on_sale, order_body

pytestmark = pytest.mark.e2e
SWEEP_WITHIN_SECONDS = 60
# A hold that ends just after a sweep started waits for the next one, a minute later,
# plus that sweep's own run time and this test's 1 s polling.
SLACK_SECONDS = 5


@pytest.fixture(scope="module")
def scheduled_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        free_ports(),
        LogLines(),
        template_path=ROOT / "template.yaml",
        root=ROOT,
        run_schedules=True,
        log_dir=Path(tmp_path_factory.mktemp("devstack-logs")),
        preload_imports=True,
    )
    stack.start()
    yield stack
    stack.stop()


def end_the_hold_now(stack: LocalStack, order_id: str) -> datetime:
    """Time passes: the order's hold ends now (the shortest real hold is 5 minutes)."""
    ended = datetime.now(UTC)
    stamp = ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    table = stack.stack.function("PlaceOrderFunction").environment["TABLE_NAME"]
    boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).update_item(
        TableName=table,
        Key={"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "ORDER"}},
        UpdateExpression="SET hold_expires_at = :at, hold_expires_epoch = :epoch, GSI3SK = :sk",
        ExpressionAttributeValues={
            ":at": {"S": stamp},
            ":epoch": {"N": str(int(ended.timestamp()))},
            ":sk": {"S": f"{stamp}#{order_id}"},
        },
    )
    return ended


def test_an_expired_hold_returns_its_seats_within_a_minute(scheduled_stack: LocalStack):
    stack = scheduled_stack
    event_id, ticket_type_id, organizer = on_sale(stack, capacity=2, shards=1)
    buyer = bearer(registered(stack, client_from("127.0.10.1"), f"{uuid.uuid4().hex}@example.com"))
    placed = requests.post(
        f"{stack.api_url}/orders",
        json=order_body(event_id, ticket_type_id, 2),
        headers={**buyer, "Idempotency-Key": f"expiry-{uuid.uuid4().hex}"},
        timeout=30,
    )
    assert placed.status_code == 201, placed.text
    assert held_and_sold(stack, event_id, organizer) == (0, 2, 0)

    ended = end_the_hold_now(stack, placed.json()["order_id"])
    while held_and_sold(stack, event_id, organizer) != (2, 0, 0):
        waited = (datetime.now(UTC) - ended).total_seconds()
        assert waited < SWEEP_WITHIN_SECONDS + SLACK_SECONDS, "the seats did not come back"
        time.sleep(1)
    seconds = (datetime.now(UTC) - ended).total_seconds()
    assert seconds <= SWEEP_WITHIN_SECONDS + SLACK_SECONDS

    order = requests.get(
        f"{stack.api_url}/orders/{placed.json()['order_id']}", headers=buyer, timeout=10
    ).json()
    assert (order["status"], order["status_reason"]) == ("expired", "hold_expired")
    another = bearer(
        registered(stack, client_from("127.0.10.2"), f"{uuid.uuid4().hex}@example.com")
    )
    again = requests.post(
        f"{stack.api_url}/orders",
        json=order_body(event_id, ticket_type_id, 2),
        headers={**another, "Idempotency-Key": f"expiry-{uuid.uuid4().hex}"},
        timeout=30,
    )
    assert again.status_code == 201, again.text
