"""Organizer webhooks (issue 8): endpoints, signed deliveries that a Standard Webhooks
receiver verifies, retries with backoff logged per attempt, SSRF-safe URLs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from admitone.services.webhooks import Clock, dispatch, retry_due
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.shop import Shop, open_shop


class Receiver:
    """An organizer's HTTP endpoint on 127.0.0.1 that fails the first ``failures``
    requests with 503, then answers 204; it keeps what it received."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                failing = len(receiver.received) <= receiver.failures
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=2)
    yield made
    made.server.shutdown()


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws)


def subscribe(shop: Shop, url: str, events: list[str]) -> dict[str, Any]:
    created = shop.api.post(
        "/webhook-endpoints", {"url": url, "events": events}, token=shop.organizer_token
    )
    assert created.status == 201, created.body
    return dict(created.json())


def bus_event(aws: AwsStack, order_id: str, event_type: str = "order.paid") -> dict[str, Any]:
    """The order's ``event_type`` event as the bus carries it (what the webhooks queue
    receives)."""
    from tests.integration.test_outbox_drain import stream_records  # noqa: PLC0415

    for record in stream_records(aws):
        image = record["dynamodb"]["NewImage"]
        if image["event_type"]["S"] == event_type:
            detail = json.loads(json.dumps(_plain(image["detail"])))
            if detail["data"]["order_id"] == order_id:
                return {"source": "admitone", "detail-type": event_type, "detail": detail}
    raise AssertionError(f"no {event_type} in the stream")


def test_a_receiver_failing_twice_gets_one_delivery_after_three_logged_attempts(
    aws: AwsStack, shop: Shop, receiver: Receiver
):
    endpoint = subscribe(shop, receiver.url, ["order.paid"])
    assert endpoint["secret"].startswith("whsec_")
    order_id = buy(shop, 1).order_id
    event = bus_event(aws, order_id)

    naps: list[float] = []
    aws.use_function("WebhookDispatcherFunction")
    clock = Clock(time_left=lambda: timedelta(seconds=30), sleep=naps.append)
    assert dispatch(event, clock, envelopes=ports().envelopes) == 1
    # The bus repeating itself: no second delivery.
    assert dispatch(event, clock, envelopes=ports().envelopes) == 0

    assert len(receiver.received) == 3
    # 1 s, then 2 s, each with up to 30 % jitter.
    assert 0.7 <= naps[0] <= 1.3
    assert 1.4 <= naps[1] <= 2.6
    headers, body = receiver.received[-1]
    verified = Webhook(endpoint["secret"]).verify(body, headers)
    assert verified["data"]["order_id"] == order_id
    assert verified["type"] == "order.paid"
    assert {h["webhook-id"] for h, _ in receiver.received} == {verified["event_id"]}

    log = shop.api.get(
        f"/webhook-endpoints/{endpoint['id']}/deliveries", token=shop.organizer_token
    ).json()["deliveries"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 3)]
    assert [entry["status_code"] for entry in log[0]["log"]] == [503, 503, 204]


def test_a_receiver_rejects_a_replay_older_than_five_minutes(aws: AwsStack, shop: Shop):
    receiver = Receiver()
    try:
        endpoint = subscribe(shop, receiver.url, ["order.paid"])
        event = bus_event(aws, buy(shop, 1).order_id)
        aws.use_function("WebhookDispatcherFunction")
        recorded = datetime.now(UTC) - timedelta(minutes=6)
        dispatch(event, Clock(now=lambda: recorded), envelopes=ports().envelopes)
        headers, body = receiver.received[-1]
        with pytest.raises(WebhookVerificationError, match="too old"):
            Webhook(endpoint["secret"]).verify(body, headers)
    finally:
        receiver.server.shutdown()


def test_a_delivery_out_of_time_is_retried_by_the_schedule(aws: AwsStack, shop: Shop):
    receiver = Receiver(failures=1)
    try:
        endpoint = subscribe(shop, receiver.url, ["order.paid"])
        event = bus_event(aws, buy(shop, 1).order_id)
        aws.use_function("WebhookDispatcherFunction")
        dispatch(
            event, envelopes=ports().envelopes
        )  # no time left: the retry waits for the schedule
        assert retry_due(envelopes=ports().envelopes) == 0  # not due yet
        later = datetime.now(UTC) + timedelta(seconds=5)
        assert retry_due(Clock(now=lambda: later), envelopes=ports().envelopes) == 1
        log = shop.api.get(
            f"/webhook-endpoints/{endpoint['id']}/deliveries", token=shop.organizer_token
        ).json()["deliveries"]
        assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 2)]
    finally:
        receiver.server.shutdown()


def test_only_subscribed_events_of_ones_own_events_are_delivered(
    aws: AwsStack, api: Api, shop: Shop
):
    receiver = Receiver()
    try:
        subscribe(shop, receiver.url, ["order.expired"])
        other = open_shop(api, aws)
        subscribe(other, receiver.url, ["order.paid"])
        event = bus_event(aws, buy(shop, 1).order_id)
        aws.use_function("WebhookDispatcherFunction")
        assert dispatch(event, envelopes=ports().envelopes) == 0
        assert receiver.received == []
    finally:
        receiver.server.shutdown()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("http://example.com/hooks", "url"),
        ("https://10.1.2.3/hooks", "url"),
        ("https://169.254.169.254/latest/meta-data", "url"),
        ("https://user:pw@example.com/hooks", "url"),
        ("https://no-such-host.invalid/hooks", "url"),
    ],
    ids=["plain-http", "private", "metadata", "credentials", "unresolvable"],
)
def test_urls_that_could_reach_inside_are_refused(shop: Shop, url: str, field: str):
    refused = shop.api.post(
        "/webhook-endpoints", {"url": url, "events": ["order.paid"]}, token=shop.organizer_token
    )
    assert refused.status == 422, refused.body
    assert refused.json()["code"] == "WEBHOOK_URL_REFUSED"
    assert [e["field"] for e in refused.json()["errors"]] == [field]


def test_endpoints_belong_to_their_owner(shop: Shop, receiver: Receiver):
    endpoint = subscribe(shop, receiver.url, ["order.paid", "ticket.issued"])
    path = f"/webhook-endpoints/{endpoint['id']}"
    shown = shop.api.get(path, token=shop.organizer_token).json()
    assert shown["events"] == ["order.paid", "ticket.issued"]
    assert "secret" not in shown
    stranger = shop.aws.access_token("usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y1", "organizer")
    assert shop.api.get(path, token=stranger).status == 404
    assert shop.api.request("DELETE", path, token=stranger).status == 404
    assert shop.api.request("DELETE", path, token=shop.organizer_token).status == 204
    assert shop.api.get(path, token=shop.organizer_token).status == 404
    unknown = shop.api.post(
        "/webhook-endpoints",
        {"url": receiver.url, "events": ["nope.never"]},
        token=shop.organizer_token,
    )
    assert unknown.status == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["events[0]"]


@pytest.mark.parametrize(
    ("function_id", "scenario", "expected"),
    [
        ("CreateWebhookEndpointFunction", "private_url", 422),
        ("GetWebhookEndpointFunction", "unknown", 404),
        ("DeleteWebhookEndpointFunction", "unknown", 404),
        ("ListWebhookDeliveriesFunction", "unknown", 404),
    ],
)
def test_sample_events_answer_problems(
    aws: AwsStack, function_id: str, scenario: str, expected: int
):
    assert aws.invoke_sample(function_id, scenario)["statusCode"] == expected


def test_the_dispatcher_samples_run(aws: AwsStack):
    assert aws.invoke_sample("WebhookDispatcherFunction", "unknown_event") == {
        "batchItemFailures": []
    }
    assert aws.invoke_sample("WebhookDispatcherFunction", "every_minute") == {"retried": 0}


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as plain JSON."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "N":
        return int(inner)
    return inner


def _stored_secret(aws: AwsStack, endpoint_id: str) -> str:
    from admitone.adapters.dynamo import keys  # noqa: PLC0415
    from admitone.adapters.dynamo.table import get  # noqa: PLC0415

    aws.use_function("WebhookDispatcherFunction")
    item = get(keys.webhook_endpoint(endpoint_id))
    assert item is not None
    return str(item["secret"])


def test_a_signing_secret_is_stored_sealed_and_shown_only_at_creation(
    aws: AwsStack,
    shop: Shop,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
):
    receiver.failures = 0
    endpoint = subscribe(shop, receiver.url, ["order.paid"])
    secret = endpoint["secret"]

    stored = _stored_secret(aws, endpoint["id"])
    assert stored.startswith("env1.")
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    shown = shop.api.get(f"/webhook-endpoints/{endpoint['id']}", token=shop.organizer_token)
    assert shown.status == 200
    assert "secret" not in shown.json()
    assert secret.encode() not in shown.body

    event = bus_event(aws, buy(shop, 1).order_id)
    aws.use_function("WebhookDispatcherFunction")
    assert dispatch(event, Clock(), envelopes=ports().envelopes) == 1
    headers, body = receiver.received[-1]
    Webhook(secret).verify(body, headers)  # signed with the secret the creation showed
    logged = caplog.text + "".join(capsys.readouterr())
    assert "webhook" in logged  # the logs were captured
    assert secret.removeprefix("whsec_") not in logged


def test_a_secret_stored_in_clear_before_sealing_still_signs_and_is_sealed_at_its_next_delivery(
    aws: AwsStack,
    shop: Shop,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
):
    from admitone.adapters.dynamo import keys  # noqa: PLC0415
    from admitone.adapters.dynamo.table import update  # noqa: PLC0415
    from admitone.domain.webhooks import new_secret  # noqa: PLC0415

    receiver.failures = 0
    endpoint = subscribe(shop, receiver.url, ["order.paid"])
    clear = new_secret()
    aws.use_function("WebhookDispatcherFunction")
    # As an endpoint created before secrets were sealed holds it.
    update(keys.webhook_endpoint(endpoint["id"]), "SET secret = :clear", values={":clear": clear})

    event = bus_event(aws, buy(shop, 1).order_id)
    aws.use_function("WebhookDispatcherFunction")
    assert dispatch(event, Clock(), envelopes=ports().envelopes) == 1

    headers, body = receiver.received[-1]
    Webhook(clear).verify(body, headers)
    stored = _stored_secret(aws, endpoint["id"])
    assert stored.startswith("env1.")
    assert (
        ports().envelopes.open(
            stored, context={"purpose": "webhook-secret", "endpoint": endpoint["id"]}
        )
        == clear
    )
    assert clear.removeprefix("whsec_") not in caplog.text
