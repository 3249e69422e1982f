"""Per-client rate limits (RULES §16) against the table, on moto serialized as DynamoDB is
atomic per item: the counters on their own, then the middleware on a real resolver."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Response
from botocore.exceptions import EndpointConnectionError

from admitone.adapters.aws import client
from admitone.adapters.dynamo import rate_counters
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable, InvalidToken
from admitone.domain.rate_limits import POLICY, Client, ClientKeyKind, Family, Limit
from admitone.http import rate_limiting
from admitone.http.rate_limiting import client_of, rate_limit
from admitone.http.resolver import http_resolver
from admitone.observability import metrics
from tests.clocks import Clock
from tests.conftest import sample_event
from tests.integration.conftest import AwsStack, LambdaContext

# 18:06:20 UTC: 40 s left in the minute, 54 min 40 s left in the hour.
START = datetime(2026, 11, 23, 18, 6, 20, tzinfo=UTC)
HOME_IP = "203.0.113.10"
OTHER_IP = "198.51.100.7"
PROBLEM_JSON = "application/problem+json"

AUTH_PER_IP = POLICY[Family.AUTH][0]
FIVE_A_MINUTE = Limit(Family.AUTH, 5, 60, ClientKeyKind.IP)


class RecordingLogger:
    """Stands in for the Powertools logger: keeps every line the middleware writes."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str, message: str, extra: dict[str, Any] | None = None) -> None:
        self.lines.append((level, message, extra or {}))

    def info(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._record("info", message, extra)

    def warning(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._record("warning", message, extra)

    def text(self) -> str:
        return json.dumps(self.lines, default=str)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(rate_limiting, "clock", fake)
    return fake


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> RecordingLogger:
    recording = RecordingLogger()
    monkeypatch.setattr(rate_limiting, "logger", recording)
    return recording


@pytest.fixture(autouse=True)
def fresh_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def table(aws: AwsStack) -> str:
    aws.use_function("HealthFunction")
    return settings().table_name


class Api:
    """A real shared resolver with the rate limit installed and one dummy route per family."""

    def __init__(self) -> None:
        self.app = http_resolver()
        self.app.use(middlewares=[rate_limit])
        self.handled: list[str] = []
        for method, path in [
            ("POST", "/auth/login"),
            ("POST", "/auth/register"),
            ("POST", "/orders"),
            ("GET", "/health"),
        ]:
            self.app.route(path, method=method)(self._handler(f"{method} {path}"))

        @self.app.post("/events/<event_id>/scans", middlewares=[_stand_in_device_check])
        def scan(event_id: str) -> dict[str, bool]:
            self.handled.append(f"POST /events/{{event_id}}/scans on {event_id}")
            return {"ok": True}

        # A device-counted route without a device check: refused before it (as by a bad
        # access token) when no device header is sent, else (wrongly) answered unchecked.
        @self.app.post("/events/<event_id>/scans/offline")
        def offline(event_id: str) -> dict[str, bool]:
            if not self.app.current_event.headers.get("x-device-token"):
                raise InvalidToken("expired")
            self.handled.append("unchecked")
            return {"ok": True}

    def _handler(self, name: str) -> Any:
        def handle() -> dict[str, bool]:
            self.handled.append(name)
            return {"ok": True}

        return handle

    def call(
        self,
        route_key: str,
        *,
        ip: str = HOME_IP,
        user: str | None = None,
        device: str | None = None,
    ) -> dict[str, Any]:
        method, _, template = route_key.partition(" ")
        path = template.replace("{event_id}", "evt_1")
        event = copy.deepcopy(sample_event("system.health", "ok"))
        event["routeKey"] = route_key
        event["rawPath"] = path
        context = event["requestContext"]
        context["routeKey"] = route_key
        context["http"].update(method=method, path=path, sourceIp=ip)
        event["headers"]["x-forwarded-for"] = ip
        if device is not None:
            event["headers"]["x-device-token"] = device
        if user is not None:
            # What the authorizer (services/authorize.py) says about a valid token.
            context["authorizer"] = {
                "lambda": {
                    "authenticated": True,
                    "sub": user,
                    "roles": "buyer",
                    "email": "buyer@example.com",
                    "exp": int((datetime.now(UTC) + timedelta(minutes=15)).timestamp()),
                }
            }
        return self.app.resolve(event, LambdaContext("admitone-test"))  # type: ignore[arg-type]


def _stand_in_device_check(app: Any, next_middleware: Any) -> Any:
    """http/device_auth.py's place: tokens starting ``paired-`` authenticate as the device
    they name; any other header (or none) does not."""
    token = app.current_event.headers.get("x-device-token") or ""
    device = token if token.startswith("paired-") else None
    refused = rate_limiting.charge_device(app, device)
    if refused is not None:
        return refused
    if device is None:
        return Response(401, "application/json", "{}")
    return next_middleware(app)


@pytest.fixture
def api(table: str, clock: Clock) -> Api:
    return Api()


def statuses(responses: list[dict[str, Any]]) -> list[int]:
    return [response["statusCode"] for response in responses]


def assert_rate_limited(response: dict[str, Any], *, family: str, retry_after: int) -> None:
    assert response["statusCode"] == 429
    assert response["headers"]["Content-Type"] == PROBLEM_JSON
    assert response["headers"]["Retry-After"] == str(retry_after)
    problem = json.loads(response["body"])
    assert problem["status"] == 429
    assert problem["code"] == "RATE_LIMITED"
    assert problem["family"] == family
    assert family in problem["detail"]
    assert f"retry in {retry_after} s" in problem["detail"]


# the middleware on a real resolver


def test_the_sixth_login_in_a_minute_from_one_ip_is_refused_while_another_ip_gets_in(api: Api):
    allowed = [api.call("POST /auth/login") for _ in range(5)]
    refused = api.call("POST /auth/login")
    elsewhere = api.call("POST /auth/login", ip=OTHER_IP)

    assert statuses(allowed) == [200] * 5
    assert_rate_limited(refused, family="auth", retry_after=40)
    assert elsewhere["statusCode"] == 200
    assert api.handled == ["POST /auth/login"] * 6  # the refused call never ran


def test_a_new_window_lets_a_refused_client_in_again(api: Api, clock: Clock):
    clock.advance(seconds=39, microseconds=500_000)  # 18:06:59.5
    for _ in range(5):
        api.call("POST /auth/login")

    assert_rate_limited(api.call("POST /auth/login"), family="auth", retry_after=1)
    clock.advance(seconds=0.5)  # 18:07:00, a new window
    assert statuses([api.call("POST /auth/login") for _ in range(6)]) == [200] * 5 + [429]


def test_payments_are_limited_to_five_a_minute_per_ip(api: Api):
    allowed = [api.call("POST /orders", user="usr_ada") for _ in range(5)]

    assert statuses(allowed) == [200] * 5
    assert_rate_limited(api.call("POST /orders", user="usr_ada"), family="payment", retry_after=40)
    assert api.call("POST /orders", user="usr_ada", ip=OTHER_IP)["statusCode"] == 200


def test_payments_are_limited_to_ten_an_hour_per_user_wherever_they_come_from(
    api: Api, clock: Clock
):
    allowed = []
    for minute in range(10):
        allowed.append(api.call("POST /orders", user="usr_ada", ip=f"192.0.2.{minute}"))
        clock.advance(minutes=1)
    # 18:16:20, from an address that has not paid at all yet
    refused = api.call("POST /orders", user="usr_ada", ip="192.0.2.200")

    assert statuses(allowed) == [200] * 10
    assert_rate_limited(refused, family="payment", retry_after=43 * 60 + 40)
    assert api.call("POST /orders", user="usr_grace", ip="192.0.2.200")["statusCode"] == 200
    clock.now = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    assert api.call("POST /orders", user="usr_ada", ip="192.0.2.201")["statusCode"] == 200


def test_resale_purchases_count_against_the_same_payment_limits_as_orders(api: Api):
    purchase = "POST /listings/{listing_id}/purchase"
    allowed = [api.call("POST /orders", user="usr_ada") for _ in range(3)]
    allowed += [api.call(purchase, user="usr_ada") for _ in range(2)]

    # The test app has no purchase route behind the middleware (404), but counts it first.
    assert statuses(allowed) == [200] * 3 + [404] * 2
    assert_rate_limited(api.call(purchase, user="usr_ada"), family="payment", retry_after=40)


def test_an_anonymous_payment_is_limited_per_ip_only(api: Api):
    # No user to count by: the per-user limit does not apply, the per-IP one does.
    assert statuses([api.call("POST /orders") for _ in range(6)]) == [200] * 5 + [429]


def test_registrations_are_limited_to_ten_emails_an_hour_per_ip(api: Api, clock: Clock):
    first_minute = [api.call("POST /auth/register") for _ in range(5)]
    clock.advance(minutes=1)
    second_minute = [api.call("POST /auth/register") for _ in range(5)]
    clock.advance(minutes=1)  # 18:08:20: auth has room again, e-mail does not
    refused = api.call("POST /auth/register")

    assert statuses(first_minute + second_minute) == [200] * 10
    assert_rate_limited(refused, family="email", retry_after=51 * 60 + 40)
    assert api.call("POST /auth/login")["statusCode"] == 200
    assert api.call("POST /auth/register", ip=OTHER_IP)["statusCode"] == 200


def test_scans_are_limited_per_device_not_per_ip(api: Api):
    # One venue IP, more scans than the general 60/min would allow.
    scan = "POST /events/{event_id}/scans"
    allowed = [api.call(scan, device="paired-gate-1") for _ in range(100)]
    refused = api.call(scan, device="paired-gate-1")
    other_gate = api.call(scan, device="paired-gate-2")

    assert statuses(allowed) == [200] * 100
    assert_rate_limited(refused, family="scan", retry_after=40)
    assert other_gate["statusCode"] == 200


def test_a_scan_without_a_device_token_is_limited_per_ip(api: Api):
    calls = [api.call("POST /events/{event_id}/scans") for _ in range(61)]

    assert statuses(calls) == [401] * 60 + [429]
    assert_rate_limited(calls[-1], family="general", retry_after=40)


def test_a_new_made_up_device_token_each_time_is_still_limited_per_ip(api: Api):
    calls = [api.call("POST /events/{event_id}/scans", device=f"forged-{n}") for n in range(61)]

    assert statuses(calls) == [401] * 60 + [429]
    assert_rate_limited(calls[-1], family="general", retry_after=40)
    assert api.call("POST /events/{event_id}/scans", device="paired-gate-1")["statusCode"] == 200


def test_a_device_route_refused_before_its_device_check_counts_per_ip(api: Api):
    calls = [api.call("POST /events/{event_id}/scans/offline") for _ in range(61)]

    assert statuses(calls) == [401] * 60 + [429]
    assert_rate_limited(calls[-1], family="general", retry_after=40)


def test_a_device_route_without_a_device_check_still_counts_per_ip(api: Api, log: RecordingLogger):
    offline = "POST /events/{event_id}/scans/offline"
    calls = [api.call(offline, device="paired-gate-1") for _ in range(60)]

    assert statuses(calls) == [200] * 60
    assert_rate_limited(api.call("GET /health"), family="general", retry_after=40)
    assert ("warning", "device-counted route answered without a device check") in [
        line[:2] for line in log.lines
    ]


def test_everything_else_is_limited_to_sixty_a_minute_per_ip(api: Api):
    calls = [api.call("GET /health") for _ in range(61)]

    assert statuses(calls) == [200] * 60 + [429]
    assert_rate_limited(calls[-1], family="general", retry_after=40)
    assert api.call("GET /health", ip=OTHER_IP)["statusCode"] == 200


def test_auth_calls_count_against_general_too(api: Api):
    # Within one minute: 5 logins + 55 other calls use up the IP's general 60.
    logins = [api.call("POST /auth/login") for _ in range(5)]
    others = [api.call("GET /health") for _ in range(55)]

    assert statuses(logins + others) == [200] * 60
    assert_rate_limited(api.call("GET /health"), family="general", retry_after=40)


def test_a_refusal_is_counted_in_metrics_and_logged_without_the_address(
    api: Api, log: RecordingLogger
):
    for _ in range(6):
        api.call("POST /auth/login")

    assert metrics.metric_set["RateLimited"]["Value"] == [1.0]
    assert metrics.metadata_set["rate_limit_family"] == "auth"
    [(level, message, extra)] = log.lines
    assert (level, message) == ("info", "rate limited")
    assert extra["family"] == "auth"
    assert extra["route"] == "POST /auth/login"
    assert extra["client"] == rate_counters.pseudonym(AUTH_PER_IP, HOME_IP)
    assert HOME_IP not in log.text()


def test_a_middleware_installed_twice_counts_each_request_once(api: Api):
    api.app.use(middlewares=[rate_limit])

    assert statuses([api.call("POST /auth/login") for _ in range(6)]) == [200] * 5 + [429]


# when the table is down


def test_auth_and_payments_are_refused_when_the_counters_are_unavailable(
    aws: AwsStack, api: Api, log: RecordingLogger
):
    aws.client("dynamodb").delete_table(TableName=aws.stack.physical_name("Table"))

    for route_key in ("POST /auth/login", "POST /orders"):
        response = api.call(route_key)
        assert response["statusCode"] == 503
        assert response["headers"]["Content-Type"] == PROBLEM_JSON
        assert json.loads(response["body"])["code"] == "DEPENDENCY_UNAVAILABLE"
    assert api.handled == []
    assert [line[1] for line in log.lines] == ["rate limit unavailable: request refused"] * 2
    assert "ResourceNotFoundException" in log.lines[0][2]["cause"]


def test_other_routes_are_let_through_loudly_when_the_counters_are_unavailable(
    aws: AwsStack, api: Api, log: RecordingLogger
):
    aws.client("dynamodb").delete_table(TableName=aws.stack.physical_name("Table"))

    # A health check must still be able to say that the table is down.
    assert api.call("GET /health")["statusCode"] == 200
    assert api.call("POST /events/{event_id}/scans", device="paired-gate-1")["statusCode"] == 200
    assert api.handled == ["GET /health", "POST /events/{event_id}/scans on evt_1"]
    assert metrics.metric_set["RateLimitUnchecked"]["Value"] == [1.0, 1.0]
    assert [line[:2] for line in log.lines] == [
        ("warning", "rate limit unavailable: request let through")
    ] * 2
    assert HOME_IP not in log.text()
    assert "paired-gate-1" not in log.text()


# the counters themselves


def _items(aws: AwsStack, table: str) -> list[dict[str, Any]]:
    return aws.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


def test_a_counter_item_carries_its_window_and_expires_after_it(aws: AwsStack, table: str):
    for _ in range(3):
        assert rate_counters.try_count_hit(AUTH_PER_IP, HOME_IP, now=START)

    key = rate_counters.counter_key(AUTH_PER_IP, HOME_IP, now=START)
    item = aws.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    window_start = int(datetime(2026, 11, 23, 18, 6, tzinfo=UTC).timestamp())
    assert re.fullmatch(r"RATE#auth#ip#[0-9a-f]{32}", item["PK"]["S"])
    assert item["SK"]["S"] == f"WINDOW#{window_start}"
    assert item["hits"]["N"] == "3"
    assert item["entity"]["S"] == "rate_counter"
    # The table's TTL attribute: the window's end plus the clock-skew margin.
    assert int(item["expires_at"]["N"]) == window_start + 60 + rate_counters.EXPIRY_MARGIN_SECONDS


def test_no_client_key_is_stored_in_the_clear(api: Api, aws: AwsStack, table: str):
    api.call("POST /auth/register", ip=HOME_IP)
    api.call("POST /orders", user="usr_ada", ip=HOME_IP)
    api.call("POST /events/{event_id}/scans", device="paired-gate-secret")

    stored = json.dumps(_items(aws, table))
    assert len(_items(aws, table)) == 6  # auth, email, payment x2, general, scan
    for secret in (HOME_IP, "usr_ada", "paired-gate-secret"):
        assert secret not in stored


def test_each_window_has_its_own_counter(table: str):
    for _ in range(5):
        assert rate_counters.try_count_hit(FIVE_A_MINUTE, HOME_IP, now=START)
    assert not rate_counters.try_count_hit(FIVE_A_MINUTE, HOME_IP, now=START)
    next_minute = START + timedelta(seconds=40)

    assert rate_counters.try_count_hit(FIVE_A_MINUTE, HOME_IP, now=next_minute)


def test_thirty_concurrent_hits_on_a_limit_of_five_let_exactly_five_through(
    aws: AwsStack, table: str
):
    callers = 30
    client("dynamodb")  # one warm container's client, shared by every thread
    start = threading.Barrier(callers)
    outcomes: list[bool] = []

    def hit() -> None:
        start.wait()
        outcomes.append(rate_counters.try_count_hit(FIVE_A_MINUTE, HOME_IP, now=START))

    threads = [threading.Thread(target=hit) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [False] * 25 + [True] * 5
    key = rate_counters.counter_key(FIVE_A_MINUTE, HOME_IP, now=START)
    item = aws.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["hits"]["N"] == "5"  # refused hits are not counted


# who the client is


def test_the_client_is_the_source_ip_and_the_verified_user_never_the_device_header() -> None:
    event = copy.deepcopy(sample_event("system.health", "ok"))
    event["headers"]["X-Device-Token"] = "gate-1"
    event["requestContext"]["authorizer"] = {"lambda": {"authenticated": True, "sub": "usr_ada"}}

    # The device header is a credential to check, not a counter key the client picks.
    assert client_of(event) == Client(ip="203.0.113.10", user="usr_ada")


def test_an_unverified_token_names_no_user() -> None:
    event = copy.deepcopy(sample_event("system.health", "ok"))
    event["requestContext"]["authorizer"] = {
        "lambda": {"authenticated": False, "sub": "usr_ada", "reason": "expired"}
    }

    assert client_of(event).user is None


def test_an_ipv6_client_is_its_slash_64() -> None:
    event = copy.deepcopy(sample_event("system.health", "ok"))
    event["requestContext"]["http"]["sourceIp"] = "2001:db8:0:1:aaaa:bbbb:cccc:dddd"

    assert client_of(event).ip == "2001:db8:0:1::/64"


def test_a_forwarded_for_header_is_not_trusted() -> None:
    event = copy.deepcopy(sample_event("system.health", "ok"))
    event["headers"]["x-forwarded-for"] = "192.0.2.99"

    assert client_of(event).ip == "203.0.113.10"


def test_an_event_without_a_request_context_names_no_client() -> None:
    assert client_of({"routeKey": "GET /health"}) == Client()


def test_an_unreachable_table_is_unavailability_not_a_refusal(
    table: str, monkeypatch: pytest.MonkeyPatch
):
    class Unreachable:
        def update_item(self, **_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.invalid")

    monkeypatch.setattr(rate_counters, "client", lambda _service: Unreachable())

    with pytest.raises(DependencyUnavailable) as raised:
        rate_counters.try_count_hit(FIVE_A_MINUTE, HOME_IP, now=START)
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_the_real_clock_tells_utc_time() -> None:
    before = datetime.now(UTC)

    now = rate_limiting.clock()

    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)
