"""The local stack runs any template the way AWS would: proven on a fixture stack
that has authorizers, routes, a queue with a DLQ, a filtered stream, a bus rule
and a schedule, before admitone's own functions depend on them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from scripts.devstack.provision import Provisioner
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import FIXTURE_TEMPLATE, LogLines, StartStack
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e

GOOD = {"Authorization": "Bearer good"}


@pytest.fixture(scope="module")
def fixture_stack(start_stack: StartStack) -> tuple[LocalStack, LogLines]:
    return start_stack(FIXTURE_TEMPLATE)


@pytest.fixture(scope="module")
def api(fixture_stack) -> str:
    return fixture_stack[0].api_url


@pytest.fixture(scope="module")
def aws(fixture_stack) -> Callable[[str], Any]:
    stack = fixture_stack[0]
    return Provisioner(stack.stack, stack.moto_url).client


def item(aws, stack: LocalStack, key: str) -> dict[str, Any] | None:
    table = stack.stack.physical_name("Table")
    return aws("dynamodb").get_item(TableName=table, Key={"PK": {"S": key}}).get("Item")


# ----------------------------------------------------------------------- routes
def test_an_open_route_receives_a_valid_http_api_v2_event(api):
    response = requests.post(
        f"{api}/open/a/b?x=1&x=2", json={"k": "v"}, cookies={"c": "1"}, timeout=10
    )
    assert response.status_code == 200
    event = response.json()["event"]
    APIGatewayProxyEventV2Model.model_validate(event)
    assert event["routeKey"] == "ANY /open/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert json.loads(event["body"]) == {"k": "v"}
    assert event["cookies"] == ["c=1"]
    assert "authorizer" not in event["requestContext"]


def test_the_function_sees_its_template_environment_and_a_real_context(api):
    response = requests.get(f"{api}/open/env", timeout=10)
    assert response.headers["x-greeting"] == "hello from us-east-1"
    assert 0 < response.json()["remaining_ms"] <= 1000
    assert response.cookies.get("theme") == "dark"


def test_a_binary_response_is_decoded_from_base64(api):
    response = requests.get(f"{api}/open/binary", timeout=10)
    assert response.content == b"\x00\xffbytes"
    assert response.headers["content-type"] == "application/octet-stream"


def test_a_function_over_its_timeout_is_stopped_with_a_503(api):
    started = time.monotonic()
    response = requests.get(f"{api}/open/slow", timeout=10)
    assert response.status_code == 503
    assert time.monotonic() - started < 2.5


def test_function_logs_are_shown_under_the_function_name(api, fixture_stack):
    requests.get(f"{api}/open/logged", timeout=10)
    assert wait_for(
        lambda: "echo /open/logged" in fixture_stack[1].of("Echo"), what="the function's log line"
    )


# ------------------------------------------------------------------ authorizers
def test_a_protected_route_without_the_identity_source_is_401_unasked(api, fixture_stack):
    before = len(fixture_stack[1].of("SimpleAuthorizer"))
    assert requests.get(f"{api}/closed/1", timeout=10).status_code == 401
    assert len(fixture_stack[1].of("SimpleAuthorizer")) == before


def test_a_refused_caller_gets_403(api):
    response = requests.get(f"{api}/closed/1", headers={"Authorization": "Bearer bad"}, timeout=10)
    assert response.status_code == 403


def test_an_authorized_caller_reaches_the_route_with_the_authorizer_context(api):
    response = requests.get(f"{api}/closed/item-9", headers=GOOD, timeout=10)
    assert response.status_code == 200
    event = response.json()["event"]
    context = event["requestContext"]["authorizer"]["lambda"]
    assert (context["sub"], context["roles"]) == ("usr_fixture", "buyer")
    assert event["pathParameters"] == {"item_id": "item-9"}


def test_decisions_are_cached_by_identity_source_for_reauthorize_every(api):
    def decision(headers: dict[str, str]) -> str:
        response = requests.get(f"{api}/closed/x", headers=headers, timeout=10)
        return response.json()["event"]["requestContext"]["authorizer"]["lambda"]["decision"]

    first = decision(GOOD)
    assert decision(GOOD) == first  # cached (ReauthorizeEvery: 300)


def test_policy_authorizers_allow_deny_and_are_not_cached_when_ttl_is_zero(api):
    def call(token: str) -> requests.Response:
        return requests.get(f"{api}/policed", headers={"Authorization": token}, timeout=10)

    assert call("Bearer nope").status_code == 403
    first, second = call("Bearer good"), call("Bearer good")
    assert first.status_code == second.status_code == 200
    decisions = {
        r.json()["event"]["requestContext"]["authorizer"]["lambda"]["decision"]
        for r in (first, second)
    }
    assert len(decisions) == 2


# ------------------------------------------------------------------------- SQS
def test_only_failed_messages_return_to_the_queue_and_end_in_the_dlq(fixture_stack, aws):
    stack = fixture_stack[0]
    run = uuid.uuid4().hex[:8]
    queue_url = stack.stack.resolve({"Ref": "Jobs"})
    for body in (f"ok-{run}-1", f"fail-{run}", f"ok-{run}-2"):
        aws("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    dlq_url = stack.stack.resolve({"Ref": "JobsDLQ"})

    def dead_letters() -> list[str]:
        messages = (
            aws("sqs")
            .receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            .get("Messages", [])
        )
        return [m["Body"] for m in messages]

    assert wait_for(dead_letters, what="the failed message in the DLQ") == [f"fail-{run}"]
    for body in (f"ok-{run}-1", f"ok-{run}-2"):
        seen = item(aws, stack, f"SEEN#{body}")
        assert seen is not None
        assert seen["deliveries"] == {"N": "1"}  # succeeded once, never redelivered


def test_a_bus_rule_delivers_through_its_input_transformer_to_the_queue(fixture_stack, aws):
    stack = fixture_stack[0]
    job = uuid.uuid4().hex[:8]
    aws("events").put_events(
        Entries=[
            {
                "EventBusName": "fixture-bus",
                "Source": "fixture",
                "DetailType": "job.requested",
                "Detail": json.dumps({"job": job}),
            }
        ]
    )
    assert wait_for(lambda: item(aws, stack, f"SEEN#bus-{job}"), what="the bus delivery")


# ---------------------------------------------------------------------- stream
def test_stream_records_reach_the_function_only_when_the_filter_matches(fixture_stack, aws):
    stack = fixture_stack[0]
    run = uuid.uuid4().hex[:8]
    table = stack.stack.physical_name("Table")
    for key in (f"OTHER#{run}", f"OUT#{run}"):
        aws("dynamodb").put_item(TableName=table, Item={"PK": {"S": key}})
    streamed = wait_for(lambda: item(aws, stack, f"STREAMED#OUT#{run}"), what="the stream record")
    assert streamed["event"] == {"S": "INSERT"}
    assert item(aws, stack, f"STREAMED#OTHER#{run}") is None


# ------------------------------------------------------------------ invocation
def test_scripts_invoke_fires_a_scheduled_job_now(fixture_stack, aws):
    stack = fixture_stack[0]
    env = {
        **os.environ,
        "ADMITONE_MOTO_PORT": str(stack.ports.moto),
        "ADMITONE_STRIPE_PORT": str(stack.ports.stripe),
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.devstack",
            "--template",
            str(FIXTURE_TEMPLATE),
            "invoke",
            "Cron",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "fired" in json.loads(completed.stdout)
    assert item(aws, stack, "CRON#last")["detail_type"] == {"S": "Scheduled Event"}


def test_a_base64_body_round_trips_through_the_gateway(api):
    payload = bytes(range(256))
    response = requests.post(
        f"{api}/open/upload",
        data=payload,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload
