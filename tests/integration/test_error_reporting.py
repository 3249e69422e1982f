"""Errors reach Sentry: the real SDK, initialised as a cold start does, sends to an
envelope receiver on 127.0.0.1; what arrives names the function and the request and
carries no personal data or credentials."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.integrations.aws_lambda import _wrap_handler

from admitone import observability
from admitone.config import observability_settings
from admitone.domain.errors import DomainError
from admitone.services import health, notifier
from tests.conftest import sample_event
from tests.integration.conftest import AwsStack, LambdaContext
from tests.integration.test_health import signed_by_an_admin

EMAIL = "buyer.secret@example.com"
JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl"
DEVICE_TOKEN = "dvt_4Q7XK2M9PZ3R8T6V"
IDEMPOTENCY_KEY = "idem-7f3a1c9e-private"
COOKIE = "session=cookie-value-9d1e"
QUERY_TOKEN = "lnk_Z8Y7X6W5V4U3T2S1"
SECRETS = (EMAIL, JWT, DEVICE_TOKEN, IDEMPOTENCY_KEY, "cookie-value-9d1e", QUERY_TOKEN)


@dataclass
class EnvelopeReceiver:
    """Sentry's ingestion endpoint, as far as the SDK can tell."""

    port: int = 0
    envelopes: list[list[dict[str, Any]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def receive(self, path: str, body: bytes, encoding: str | None) -> None:
        if encoding == "gzip":
            body = gzip.decompress(body)
        else:
            assert encoding is None, f"unexpected Content-Encoding {encoding}"
        self.paths.append(path)
        self.raw.append(body)
        # Newline-delimited JSON: the envelope header, then item header / payload pairs.
        self.envelopes.append([json.loads(line) for line in body.splitlines() if line.strip()])

    def events(self) -> list[dict[str, Any]]:
        sentry_sdk.flush(timeout=5)
        found = []
        for envelope in self.envelopes:
            items = envelope[1:]
            for header, payload in zip(items[::2], items[1::2], strict=True):
                if header.get("type") == "event":
                    found.append(payload)
        return found


@pytest.fixture
def receiver() -> Iterator[EnvelopeReceiver]:
    received = EnvelopeReceiver()

    class Intake(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.receive(self.path, body, self.headers.get("Content-Encoding"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Intake)
    received.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


@pytest.fixture
def cold_start(aws: AwsStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A container's first moments for a function: its environment as the template
    sets it (with ``SentryDsn`` as deployed), then observability's start-up."""

    def start(function_id: str, *, sentry_dsn: str) -> None:
        aws.stack.parameters["SentryDsn"] = sentry_dsn
        aws.use_function(function_id)
        observability_settings.cache_clear()
        observability.error_reporting.start()

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield start
    # Sentry is process-wide state: no other test may inherit a client.
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    monkeypatch.setenv("SENTRY_DSN", "")
    observability_settings.cache_clear()
    observability.error_reporting.start()
    observability_settings.cache_clear()


def _hostile_search_request() -> dict[str, Any]:
    """GET /events carrying everything that must never leave: credentials in headers,
    a cookie, a token and an e-mail address in the query string and the body."""
    event = sample_event("events.search_events", "ok")
    event["headers"] = {
        **event["headers"],
        "authorization": f"Bearer {JWT}",
        "cookie": COOKIE,
        "x-device-token": DEVICE_TOKEN,
        "idempotency-key": IDEMPOTENCY_KEY,
    }
    event["cookies"] = [COOKIE]
    event["rawQueryString"] = f"cursor={QUERY_TOKEN}&q={EMAIL}"
    event["queryStringParameters"] = {"cursor": QUERY_TOKEN, "q": EMAIL}
    event["body"] = json.dumps({"email": EMAIL, "password": "hunter2-secret"})
    return event


def _broken_dependency_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise RuntimeError(f"dependency check crashed for {EMAIL} holding Bearer {JWT}")

    monkeypatch.setattr(health, "check_dependencies", fail)


def _broken_search(aws: AwsStack, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: Any, **__: Any) -> None:
        raise RuntimeError(f"search crashed for {EMAIL} holding Bearer {JWT}")

    monkeypatch.setattr(aws.handler_module("SearchEventsFunction"), "search_events", fail)


def _assert_nothing_secret(receiver: EnvelopeReceiver) -> None:
    sent = b"\n".join(receiver.raw).decode()
    for secret in SECRETS:
        assert secret not in sent
    assert "hunter2" not in sent


def test_an_unhandled_error_in_an_http_handler_reaches_sentry_naming_function_and_request(
    aws: AwsStack,
    cold_start: Any,
    receiver: EnvelopeReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    cold_start("SearchEventsFunction", sentry_dsn=receiver.dsn)
    _broken_search(aws, monkeypatch)
    spec = aws.stack.function("SearchEventsFunction")
    context = LambdaContext(spec.function_name)

    response = aws.handler_module("SearchEventsFunction").handler(
        _hostile_search_request(), context
    )

    assert response["statusCode"] == 500
    assert json.loads(response["body"])["code"] == "INTERNAL_ERROR"
    (event,) = receiver.events()
    assert receiver.paths == ["/api/1/envelope/"]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["function_name"] == spec.function_name
    assert event["tags"]["aws_request_id"] == context.aws_request_id
    assert event["environment"] == "test"
    assert event["release"] == "admitone@0.1.0"
    _assert_nothing_secret(receiver)


@dataclass
class RuntimeContext(LambdaContext):
    """The context as Lambda's runtime has it, all the integration reads."""

    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:admitone-test"
    log_group_name: str = "/aws/lambda/admitone-test"
    log_stream_name: str = "2026/12/02/[$LATEST]0123456789abcdef"


def test_in_the_lambda_runtime_the_integration_adds_no_headers_query_or_body(
    aws: AwsStack,
    cold_start: Any,
    receiver: EnvelopeReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    """In Lambda the integration wraps the runtime's handler and adds the request it
    sees (headers, query string); wrapped as the runtime's bootstrap does, those go."""
    cold_start("SearchEventsFunction", sentry_dsn=receiver.dsn)
    _broken_search(aws, monkeypatch)
    spec = aws.stack.function("SearchEventsFunction")
    context = RuntimeContext(spec.function_name)
    handler = _wrap_handler(aws.handler_module("SearchEventsFunction").handler)

    assert handler(_hostile_search_request(), context)["statusCode"] == 500

    (event,) = receiver.events()
    assert event["extra"]["lambda"]["function_name"] == spec.function_name
    assert event["extra"]["lambda"]["aws_request_id"] == context.aws_request_id
    assert set(event.get("request", {})) <= {"method", "url"}
    assert "user" not in event or set(event["user"]) <= {"id"}
    _assert_nothing_secret(receiver)


def test_a_domain_error_answered_as_a_4xx_is_not_reported(
    aws: AwsStack,
    cold_start: Any,
    receiver: EnvelopeReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    cold_start("GetEventFunction", sentry_dsn=receiver.dsn)

    refused = aws.invoke_sample("GetEventFunction", "unknown")
    assert refused["statusCode"] == 404
    assert receiver.events() == []

    # The same container still reports a real bug: the receiver was listening.
    admin_event = signed_by_an_admin(aws)
    cold_start("AdminHealthFunction", sentry_dsn=receiver.dsn)
    _broken_dependency_check(monkeypatch)
    assert aws.invoke("AdminHealthFunction", admin_event)["statusCode"] == 500
    (event,) = receiver.events()
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert not any(issubclass(type(value), DomainError) for value in event["exception"]["values"])


def test_a_failed_batch_record_of_a_queue_consumer_reaches_sentry(
    aws: AwsStack,
    cold_start: Any,
    receiver: EnvelopeReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    cold_start("NotifierFunction", sentry_dsn=receiver.dsn)

    batch = sample_event("notifications.notifier", "ignored_type")
    # Two records: the first fails, the second goes out.
    failing = batch["Records"][0]
    passing = {**failing, "messageId": "a second message", "body": json.dumps({"id": "second"})}
    batch["Records"].append(passing)
    failing_id = json.loads(failing["body"])["id"]

    def notify(event: dict[str, Any]) -> dict[str, str]:
        if event["id"] == failing_id:
            raise ConnectionError(f"SES unreachable while mailing {EMAIL}")
        return {}

    monkeypatch.setattr(notifier, "notify", notify)
    spec = aws.stack.function("NotifierFunction")
    context = LambdaContext(spec.function_name)

    response = aws.handler_module("NotifierFunction").handler(batch, context)

    assert response == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}]}
    (event,) = receiver.events()
    assert event["exception"]["values"][-1]["type"] == "ConnectionError"
    assert event["tags"]["function_name"] == spec.function_name
    assert event["tags"]["aws_request_id"] == context.aws_request_id
    _assert_nothing_secret(receiver)


def test_with_an_empty_dsn_nothing_is_sent(
    aws: AwsStack,
    cold_start: Any,
    receiver: EnvelopeReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    admin_event = signed_by_an_admin(aws)
    cold_start("AdminHealthFunction", sentry_dsn="")
    _broken_dependency_check(monkeypatch)

    assert aws.invoke("AdminHealthFunction", admin_event)["statusCode"] == 500

    assert receiver.events() == []
    assert receiver.raw == []
