"""Hostile input through the real handlers on moto: malformed bodies, foreign media
types, unsendable addresses, unbounded numbers and malformed path ids all answer 4xx
problem+json, before anything is written."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.domain.ids import Prefix, new_id
from scripts.devstack.template import Stack
from tests.conftest import EVENTS, ROOT
from tests.integration.conftest import Api, AwsStack

STACK = Stack.load(ROOT, ROOT / "template.yaml")
BODY_METHODS = {"POST", "PATCH", "PUT"}


def _http_samples() -> list[tuple[str, str, bool]]:
    """(function id, sample file, whether its route takes a JSON body) for every sample
    event of a POST, PATCH or PUT route."""
    samples = []
    for function_id in STACK.function_ids():
        spec = STACK.function(function_id)
        stem = ".".join(spec.code_uri.relative_to(ROOT / "functions").parts)
        takes_body = "Body()" in (spec.code_uri / f"{spec.handler_module}.py").read_text()
        for path in sorted(EVENTS.glob(f"{stem}.*.json")):
            event = json.loads(path.read_text())
            method = event.get("requestContext", {}).get("http", {}).get("method")
            if method in BODY_METHODS:
                samples.append((function_id, path.name, takes_body))
    return samples


SAMPLES = _http_samples()
BODY_SAMPLES = [(f, name) for f, name, takes_body in SAMPLES if takes_body]
BODYLESS_SAMPLES = [(f, name) for f, name, takes_body in SAMPLES if not takes_body]


_CALLS = itertools.count(1)


@pytest.fixture(autouse=True)
def _logins_an_hour_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The login sample repeats one address, and failed logins back off per address:
    each call happens an hour after the last, when earlier failures are forgiven."""
    from admitone.services import login  # noqa: PLC0415

    start = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    moments = (start + timedelta(hours=n) for n in itertools.count())
    monkeypatch.setattr(login, "clock", lambda: next(moments))


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def _invoke(aws: AwsStack, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """One call as a new client: its own address (per-IP limits) and Idempotency-Key."""
    n = next(_CALLS)
    sent = copy.deepcopy(event)
    sent["requestContext"]["http"]["sourceIp"] = f"198.18.{n // 250 % 250}.{n % 250 + 1}"
    headers = sent.setdefault("headers", {})
    if "idempotency-key" in headers:
        headers["idempotency-key"] = f"hostile-input-{uuid.uuid4().hex}"
    result: dict[str, Any] = aws.invoke(function_id, sent)
    return result


def _with_body(
    event: dict[str, Any], body: bytes, *, content_type: str | None, base64_encoded: bool
) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    headers = {k: v for k, v in changed.get("headers", {}).items() if k != "content-type"}
    if content_type is not None:
        headers["content-type"] = content_type
    changed["headers"] = headers
    if base64_encoded:
        changed["body"] = base64.b64encode(body).decode()
        changed["isBase64Encoded"] = True
    else:
        changed["body"] = body.decode("utf-8")
        changed["isBase64Encoded"] = False
    return changed


def _problem(result: dict[str, Any]) -> dict[str, Any]:
    assert result["headers"]["Content-Type"] == "application/problem+json", result
    problem: dict[str, Any] = json.loads(result["body"])
    assert problem["status"] == result["statusCode"]
    return problem


def test_the_samples_cover_the_routes_that_take_a_body():
    assert len(BODY_SAMPLES) >= 25
    assert ("StripeWebhookFunction", "payments.stripe_webhook.bad_signature.json") in (
        BODYLESS_SAMPLES
    )


@pytest.mark.parametrize(("function_id", "sample"), BODY_SAMPLES)
def test_a_body_that_is_not_utf8_is_400_body_not_json(aws: AwsStack, function_id, sample):
    event = _with_body(
        _event(sample),
        b'{"name": "caf\xe9 \xff\xfe"}',
        content_type="application/json",
        base64_encoded=True,
    )
    result = _invoke(aws, function_id, event)
    assert result["statusCode"] == 400, result
    assert _problem(result)["code"] == "BODY_NOT_JSON"


@pytest.mark.parametrize(("function_id", "sample"), BODY_SAMPLES)
def test_a_body_that_is_not_json_is_400_body_not_json(aws: AwsStack, function_id, sample):
    for body, base64_encoded in ((b"this is not json {", False), (b"not base64 !", True)):
        event = _with_body(
            _event(sample), body, content_type="application/json", base64_encoded=False
        )
        if base64_encoded:
            event["isBase64Encoded"] = True
        result = _invoke(aws, function_id, event)
        assert result["statusCode"] == 400, result
        assert _problem(result)["code"] == "BODY_NOT_JSON"


@pytest.mark.parametrize(("function_id", "sample"), BODY_SAMPLES)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_in_another_media_type_is_415(aws: AwsStack, function_id, sample, content_type):
    original = _event(sample)
    event = _with_body(
        original, original["body"].encode(), content_type=content_type, base64_encoded=False
    )
    result = _invoke(aws, function_id, event)
    assert result["statusCode"] == 415, result
    assert _problem(result)["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(("function_id", "sample"), BODY_SAMPLES)
def test_json_in_any_spelling_is_read_as_the_sample_is(aws: AwsStack, function_id, sample):
    original = _event(sample)
    baseline = _invoke(aws, function_id, original)["statusCode"]
    assert baseline < 500
    body = original["body"].encode()
    spellings = [
        ("application/json; charset=utf-8", False),
        ("Application/JSON; charset=UTF-8", False),
        ("application/merge-patch+json", False),
        ("application/json", True),
        (None, False),
    ]
    for content_type, base64_encoded in spellings:
        event = _with_body(original, body, content_type=content_type, base64_encoded=base64_encoded)
        assert _invoke(aws, function_id, event)["statusCode"] == baseline, content_type


@pytest.mark.parametrize(("function_id", "sample"), BODYLESS_SAMPLES)
def test_routes_without_a_body_ignore_what_is_sent(aws: AwsStack, function_id, sample):
    original = _event(sample)
    baseline = _invoke(aws, function_id, original)["statusCode"]
    assert baseline < 500
    for content_type in (None, "text/plain"):
        event = copy.deepcopy(original)
        headers = {k: v for k, v in event.get("headers", {}).items() if k != "content-type"}
        if content_type is not None:
            headers["content-type"] = content_type
        event["headers"] = headers
        assert _invoke(aws, function_id, event)["statusCode"] == baseline, content_type


def test_the_stripe_webhook_still_reads_its_raw_bytes(api: Api):
    garbage = api.request(
        "POST",
        "/webhooks/stripe",
        headers={"Content-Type": "text/plain", "Stripe-Signature": "t=1,v1=00"},
    )
    # Its own answer to a bad signature, not a media-type refusal.
    assert garbage.status == 400
    assert garbage.json()["code"] != "UNSUPPORTED_MEDIA_TYPE"


def test_over_the_gateway_a_latin1_register_is_400_and_writes_nothing(api: Api, aws: AwsStack):
    body = '{"email": "zoë@example.com", "password": "correct horse battery", "name": "Zoë"}'
    response = api.gateway.handle(
        _gateway_request("POST", "/auth/register", body.encode("latin-1"), "application/json")
    )
    assert response.status == 400
    assert json.loads(response.body)["code"] == "BODY_NOT_JSON"
    assert _account_items(aws) == []


# Issue 33 item 5: nesting this deep used to escape the body reader as a RecursionError (500).
DEEP_BODIES = {
    "arrays": "[" * 20_000 + "]" * 20_000,
    "objects": '{"a":' * 20_000 + "1" + "}" * 20_000,
}


@pytest.mark.parametrize(("function_id", "sample"), BODY_SAMPLES)
def test_a_deeply_nested_body_is_400_body_not_json(aws: AwsStack, function_id, sample):
    for shape, body in DEEP_BODIES.items():
        event = _with_body(
            _event(sample), body.encode(), content_type="application/json", base64_encoded=False
        )
        result = _invoke(aws, function_id, event)
        assert result["statusCode"] == 400, (shape, result)
        assert _problem(result)["code"] == "BODY_NOT_JSON", shape


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
def test_over_the_gateway_a_deeply_nested_body_is_400_on_public_and_signed_in_routes(
    api: Api, aws: AwsStack, shape: str
):
    token = aws.access_token(new_id(Prefix.USER), "buyer")
    body = DEEP_BODIES[shape].encode()
    for path, headers in (
        ("/auth/login", {}),
        ("/quotes", {}),
        ("/orders", {"Authorization": f"Bearer {token}", "Idempotency-Key": "deep-body-1"}),
    ):
        response = api.gateway.handle(
            _gateway_request("POST", path, body, "application/json", headers)
        )
        assert response.status == 400, (path, response.body[:300])
        assert json.loads(response.body)["code"] == "BODY_NOT_JSON", path


def _gateway_request(
    method: str, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> Any:
    from scripts.devstack.gateway import Request  # noqa: PLC0415

    sent = [("Content-Type", content_type), ("User-Agent", "pytest"), *(headers or {}).items()]
    return Request(method, path, "", sent, body, "198.51.100.200")


def _account_items(aws: AwsStack) -> list[dict[str, Any]]:
    table = aws.stack.function("RegisterFunction").environment["TABLE_NAME"]
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in items if item["PK"]["S"].startswith(("USER#", "EMAIL#"))]


# ------------------------------------------------------------------ e-mail addresses
PASSWORD = "correct horse battery"
UNSENDABLE = [
    "a,b@x.com",
    '"a"@x.com',
    "a<b>@x.com",
    "a;b@x.com",
    "Ada <ada@x.com>",
    "a b@x.com",
    "ada@[10.0.0.1]",
    "ada@x.com\nBcc: all@x.com",
    "a" * 250 + "@x.com",
]


@pytest.mark.parametrize("address", UNSENDABLE)
def test_an_unsendable_address_is_422_on_register_and_no_account_is_written(
    api: Api, aws: AwsStack, address: str
):
    response = api.post("/auth/register", {"email": address, "password": PASSWORD, "name": "A"})
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["body.email"]
    assert _account_items(aws) == []


@pytest.mark.parametrize("address", UNSENDABLE)
@pytest.mark.parametrize("route", ["/auth/password/forgot", "/auth/login"])
def test_an_unsendable_address_is_422_where_an_account_is_looked_up(
    api: Api, address: str, route: str
):
    body = {"email": address} | ({"password": PASSWORD} if route == "/auth/login" else {})
    response = api.post(route, body)
    assert response.status == 422, response.body
    assert [e["field"] for e in response.json()["errors"]] == ["body.email"]


def test_addresses_are_keyed_as_before_and_the_dev_domain_still_signs_in(api: Api, aws: AwsStack):
    assert (
        api.post(
            "/auth/register", {"email": "  Zoe@Example.COM ", "password": PASSWORD, "name": "Z"}
        ).status
        == 201
    )
    assert (
        api.post(
            "/auth/register", {"email": "gate@venue.local", "password": PASSWORD, "name": "G"}
        ).status
        == 201
    )
    claims = sorted(item["PK"]["S"] for item in _account_items(aws) if "EMAIL#" in item["PK"]["S"])
    assert claims == ["EMAIL#gate@venue.local", "EMAIL#zoe@example.com"]


def test_every_route_that_takes_an_address_refuses_an_unsendable_one(api: Api, aws: AwsStack):
    organizer = aws.access_token("usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y8", "buyer", "organizer", "admin")
    venue = "ven_01JDQ3Z8K4M2N6P8R0T2V4X6Z4"
    cases = [
        ("POST", f"/venues/{venue}/staff", {"email": "a,b@x.com", "role": "scanner"}, "body.email"),
        (
            "POST",
            "/tickets/tkt_01JDQ3Z8K4M2N6P8R0T2V4X6Z5/transfer",
            {"email": 'a"b@x.com'},
            "body.email",
        ),
        (
            "POST",
            "/orders",
            {
                "event_id": "evt_01JDQ3Z8K4M2N6P8R0T2V4X6Z0",
                "items": [{"ticket_type_id": "tty_01JDQ3Z8K4M2N6P8R0T2V4X6Y8", "quantity": 1}],
                "attendee_email": "a;b@x.com",
            },
            "body.attendee_email",
        ),
    ]
    for method, path, body, field_name in cases:
        response = api.request(
            method,
            path,
            json_body=body,
            token=organizer,
            headers={"Idempotency-Key": f"key-{uuid.uuid4().hex}"},
        )
        assert response.status == 422, (path, response.body)
        assert [e["field"] for e in response.json()["errors"]] == [field_name], path
    found = api.get("/admin/users?email=a%3Cb%3E%40x.com", token=organizer)
    assert found.status == 422
    assert [e["field"] for e in found.json()["errors"]] == ["query.email"]


def test_a_failed_verification_email_leaves_no_account_and_a_retry_completes(
    api: Api, aws: AwsStack, monkeypatch: pytest.MonkeyPatch
):
    from admitone.adapters import mail  # noqa: PLC0415
    from admitone.domain.errors import DependencyUnavailable  # noqa: PLC0415
    from tests.mailbox import find_link, sent_in_process  # noqa: PLC0415

    real_send = mail.send_email

    def ses_throttled(message: Any) -> str:
        raise DependencyUnavailable("The e-mail service is unavailable.")

    monkeypatch.setattr(mail, "send_email", ses_throttled)
    body = {"email": "retry@example.com", "password": PASSWORD, "name": "Retry"}
    failed = api.post("/auth/register", body)
    assert failed.status == 503
    assert failed.json()["code"] == "DEPENDENCY_UNAVAILABLE"
    assert _account_items(aws) == []

    monkeypatch.setattr(mail, "send_email", real_send)
    assert api.post("/auth/register", body).status == 201
    mails = [m for m in sent_in_process() if "retry@example.com" in m.to]
    link = find_link(mails[-1], r"/verify-email")
    token = link.split("token=", 1)[1].split("&", 1)[0]
    assert api.post("/auth/verify-email", {"token": token}).status == 200
    assert api.post("/auth/login", {"email": "retry@example.com", "password": PASSWORD}).status == (
        200
    )


# ------------------------------------------------------------------ path ids
MALFORMED_IDS = ["nope", "evt_01jdq3z8k4m2n6p8r0t2v4x6y8", "ord_", "ord_9" + "Z" * 25, "x" * 2000]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/events/{}", "event_id"),
        ("/orders/{}", "order_id"),
        ("/tickets/{}", "ticket_id"),
        ("/venues/{}", "venue_id"),
        ("/webhook-endpoints/{}", "endpoint_id"),
        ("/venues/ven_01JDQ3Z8K4M2N6P8R0T2V4X6Z4/devices/{}", "device_id"),
        ("/venues/ven_01JDQ3Z8K4M2N6P8R0T2V4X6Z4/staff/{}", "user_id"),
        ("/events/evt_01JDQ3Z8K4M2N6P8R0T2V4X6Y8/ticket-types/{}", "ticket_type_id"),
    ],
)
def test_a_malformed_path_id_is_422_naming_it(api: Api, aws: AwsStack, path: str, parameter: str):
    token = aws.access_token("usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y8", "buyer", "organizer", "admin")
    method = {"devices": "DELETE", "staff": "DELETE", "ticket-types": "PATCH"}.get(
        path.split("/")[-2], "GET"
    )
    for malformed in MALFORMED_IDS:
        response = api.request(method, path.format(malformed), json_body={}, token=token)
        assert response.status == 422, (path, malformed, response.body)
        assert [e["field"] for e in response.json()["errors"]] == [f"path.{parameter}"]


# ------------------------------------------------------------------ numbers and lists
HUGE = 10**42  # past DynamoDB's 38 digits


@pytest.mark.parametrize(
    ("function_id", "sample", "field_name", "value"),
    [
        ("CreateVoucherFunction", "events.create_voucher.not_owner.json", "max_uses", HUGE),
        ("CreateVoucherFunction", "events.create_voucher.not_owner.json", "budget_cents", HUGE),
        ("CreateVoucherFunction", "events.create_voucher.not_owner.json", "value", -HUGE),
        (
            "CreateTicketTypeFunction",
            "events.create_ticket_type.not_owner.json",
            "price_cents",
            HUGE,
        ),
        ("CreateTicketTypeFunction", "events.create_ticket_type.not_owner.json", "capacity", HUGE),
        ("CreateTicketTypeFunction", "events.create_ticket_type.not_owner.json", "max_scans", HUGE),
        ("CreateTicketTypeFunction", "events.create_ticket_type.not_owner.json", "shards", HUGE),
        ("UpdateTicketTypeFunction", "events.update_ticket_type.not_owner.json", "capacity", HUGE),
        (
            "UpdateTicketTypeFunction",
            "events.update_ticket_type.not_owner.json",
            "max_per_order",
            HUGE,
        ),
        (
            "CreateCapacityPoolFunction",
            "events.create_capacity_pool.not_owner.json",
            "capacity",
            HUGE,
        ),
        ("CreateCapacityPoolFunction", "events.create_capacity_pool.not_owner.json", "shards", -1),
        ("UpdateEventFunction", "events.update_event.not_owner.json", "hold_minutes", HUGE),
        ("CreateEventFunction", "events.create_event.unknown_venue.json", "hold_minutes", HUGE),
        (
            "CreateWebhookEndpointFunction",
            "webhooks.create_endpoint.private_url.json",
            "events",
            ["x" * 10_000],
        ),
        (
            "CreateVoucherFunction",
            "events.create_voucher.not_owner.json",
            "ticket_type_ids",
            ["x" * 10_000],
        ),
    ],
)
def test_an_out_of_range_number_or_item_is_422_naming_it(
    aws: AwsStack, function_id, sample, field_name, value
):
    event = _event(sample)
    body = json.loads(event["body"]) | {field_name: value}
    event["body"] = json.dumps(body)
    result = _invoke(aws, function_id, event)
    assert result["statusCode"] == 422, result
    fields = [e["field"] for e in _problem(result)["errors"]]
    assert all(f.startswith(f"body.{field_name}") for f in fields), fields


@pytest.mark.parametrize("parameter", ["min_price", "max_price"])
def test_a_huge_price_filter_is_422_naming_it(aws: AwsStack, parameter):
    event = _event("events.search_events.ok.json")
    event["queryStringParameters"] = {parameter: str(HUGE)}
    event["rawQueryString"] = f"{parameter}={HUGE}"
    result = _invoke(aws, "SearchEventsFunction", event)
    assert result["statusCode"] == 422, result
    assert [e["field"] for e in _problem(result)["errors"]] == [f"query.{parameter}"]
