"""The local gateway's events have the shape API Gateway (and SAM) produce."""

from __future__ import annotations

import json
import subprocess

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from scripts.devstack.gateway import Gateway, Request
from scripts.devstack.runtime import InvokeResult
from scripts.devstack.template import Stack
from tests.conftest import ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"


class Capture:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def invoke(self, function_id, event):
        self.events.append(event)
        return InvokeResult(ok=True, payload={"statusCode": 204})


@pytest.fixture(scope="module")
def gateway_event() -> dict:
    stack = Stack.load(ROOT, ROOT / "template.yaml")
    runtime = Capture()
    gateway = Gateway(stack, runtime)  # type: ignore[arg-type]
    gateway.handle(
        Request(
            method="GET",
            raw_path="/health",
            raw_query="verbose=1&verbose=2",
            headers=[
                ("Host", "127.0.0.1:3000"),
                ("User-Agent", "pytest"),
                ("Cookie", "a=1; b=2"),
                ("Content-Type", "application/json"),
            ],
            body=b'{"x": 1}',
            source_ip="127.0.0.1",
        )
    )
    (event,) = runtime.events
    return event


@pytest.fixture(scope="module")
def sam_event() -> dict:
    completed = subprocess.run(
        [str(SAM), "local", "generate-event", "apigateway", "http-api-proxy"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
    )
    return json.loads(completed.stdout)


def test_the_event_validates_as_a_powertools_http_api_v2_event(gateway_event):
    model = APIGatewayProxyEventV2Model.model_validate(gateway_event)
    assert model.routeKey == "GET /health"
    assert model.requestContext.http.method == "GET"
    assert model.cookies == ["a=1", "b=2"]


def test_the_event_uses_only_keys_sam_generates_at_every_level(gateway_event, sam_event):
    assert set(gateway_event) <= set(sam_event)
    ours, theirs = gateway_event["requestContext"], sam_event["requestContext"]
    assert set(ours) <= set(theirs)
    assert set(ours["http"]) == set(theirs["http"])


def test_the_event_has_every_key_api_gateway_always_sends(gateway_event, sam_event):
    always = {
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "isBase64Encoded",
    }
    assert always <= set(gateway_event)
    context_always = set(sam_event["requestContext"]) - {"authentication", "authorizer"}
    assert context_always <= set(gateway_event["requestContext"])
