"""Client idempotency (RULES §5, issue 6 proof 4) on a real resolver against the table
from template.yaml, on moto serialized as DynamoDB is atomic per item.

A test route ``POST /widgets`` writes a widget and answers 201; a switch makes it answer
500, raise, or refuse. Each resolver built here stands for one Lambda container.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable, SoldOut
from admitone.domain.idempotency import IdempotencyScope
from admitone.http import problems
from admitone.http.idempotency import (
    REPLAYED_HEADER,
    IdempotencyGuard,
    idempotency_scope,
    idempotent_route,
)
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import metrics
from tests.conftest import new_container, sample_event
from tests.integration.conftest import AwsStack, LambdaContext

KEY = "4f0c2a9e-6b1d-4c7e-8a3f-5d2b9e1c7a60"
OTHER_KEY = "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"
ADA = "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y8"
GRACE = "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y9"
PROBLEM_JSON = "application/problem+json"
DAY = 24 * 60 * 60
_addresses = (f"198.51.100.{n % 250 + 1}" for n in itertools.count())


class WidgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    size: int = 1


class WidgetView(BaseModel):
    widget_id: str
    name: str
    size: int
    owner: str


@dataclass
class Widgets:
    """The route's body: counts its runs, writes a widget, or does what ``mode`` says."""

    mode: str = "ok"
    delay_seconds: float = 0.0
    during_run: Callable[[], None] | None = None
    runs: int = 0
    scopes: list[IdempotencyScope] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def make(
        self, app: APIGatewayHttpResolver, request: WidgetRequest, *, guarded: bool = True
    ) -> Response[Any]:
        with self._lock:
            self.runs += 1
        if guarded:
            self.scopes.append(idempotency_scope(app))
        if self.during_run is not None:
            self.during_run()
        time.sleep(self.delay_seconds)
        if self.mode == "server_error":
            return problems.problem_response(
                status=500, code="BROKEN", title="Broken", detail="The widget press jammed."
            )
        if self.mode == "crash":
            raise RuntimeError("the widget press exploded")
        if self.mode == "unavailable":
            raise DependencyUnavailable("The widget supplier is down.")
        if self.mode == "sold_out":
            raise SoldOut("No widgets left.", ticket_type_id="tty_widget")
        widget = WidgetView(
            widget_id=f"wdg_{uuid.uuid4().hex}",
            name=request.name,
            size=request.size,
            owner=principal(app).user_id,
        )
        client("dynamodb").put_item(
            TableName=settings().table_name,
            Item={
                "PK": {"S": f"WIDGET#{widget.widget_id}"},
                "SK": {"S": "WIDGET"},
                "owner": {"S": widget.owner},
            },
        )
        return Response(
            status_code=201,
            content_type="application/json",
            body=widget.model_dump(),
            headers={"Location": f"/widgets/{widget.widget_id}"},
        )


@dataclass
class Container:
    """One Lambda container's resolver with its routes and their guards."""

    app: APIGatewayHttpResolver
    guards: dict[str, IdempotencyGuard]

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        return http_handler(self.app)(event, LambdaContext("widgets"))  # type: ignore[arg-type]


def container(widgets: Widgets) -> Container:
    app = http_resolver()
    guards = {
        "widgets": idempotent_route(),
        "gadgets": idempotent_route(),
        "boxes": idempotent_route(),
    }

    @app.post("/widgets", middlewares=[guards["widgets"]])
    def post_widget(request: Annotated[WidgetRequest, Body()]) -> Response[Any]:
        return widgets.make(app, request)

    @app.post("/gadgets", middlewares=[guards["gadgets"]])
    def post_gadget(request: Annotated[WidgetRequest, Body()]) -> Response[Any]:
        return widgets.make(app, request)

    @app.post("/boxes/<box_id>/widgets", middlewares=[guards["boxes"]])
    def post_boxed_widget(box_id: str, request: Annotated[WidgetRequest, Body()]) -> Response[Any]:
        return widgets.make(app, request)

    # No return annotation: response validation would decode the PNG as UTF-8 text.
    @app.post("/badges", middlewares=[idempotent_route()])
    def post_badge():
        widgets.make(app, WidgetRequest(name="badge"))
        return Response(201, content_type="image/png", body=b"\x89PNG\r\n" + os.urandom(16))

    @app.post("/unguarded-widgets")
    def post_unguarded_widget(request: Annotated[WidgetRequest, Body()]) -> Response[Any]:
        return widgets.make(app, request, guarded=False)

    return Container(app, guards)


def post(
    path: str,
    body: Any = None,
    *,
    key: str | None = KEY,
    caller: str | None = ADA,
    raw_body: str | None = None,
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event, shaped like events/users.get_me.ok.json."""
    event = copy.deepcopy(sample_event("users.get_me", "ok"))
    route_key = route_key or f"POST {path}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "POST"
    event["requestContext"]["http"]["sourceIp"] = ip or next(_addresses)
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    event["headers"]["content-type"] = "application/json"
    if key is not None:
        event["headers"]["idempotency-key"] = key
    if caller is None:
        del event["requestContext"]["authorizer"]
        del event["headers"]["authorization"]
    else:
        event["requestContext"]["authorizer"]["lambda"]["sub"] = caller
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["body"] = raw_body if raw_body is not None else json.dumps(body)
    return event


def problem(result: dict[str, Any]) -> tuple[int, str]:
    assert result["headers"]["Content-Type"] == PROBLEM_JSON
    return result["statusCode"], json.loads(result["body"])["code"]


def items(prefix: str) -> list[dict[str, Any]]:
    scanned = client("dynamodb").scan(TableName=settings().table_name, ConsistentRead=True)
    return [item for item in scanned["Items"] if item["PK"]["S"].startswith(prefix)]


def record_pk(caller: str, route: str, key: str) -> str:
    """The documented key shape (adapters/dynamo/README.md)."""
    scope = json.dumps([caller, route, key], sort_keys=True)
    return "IDEMPOTENCY#" + hashlib.sha256(scope.encode()).hexdigest()


@pytest.fixture
def table(aws: AwsStack) -> str:
    aws.use_function("HealthFunction")
    return settings().table_name


@pytest.fixture(autouse=True)
def _no_metrics_left_over() -> Iterator[None]:
    """Resolvers called without ``http_handler`` never flush what they count."""
    yield
    metrics.clear_metrics()


@pytest.fixture
def widgets(table: str) -> Widgets:
    return Widgets()


@pytest.fixture
def lambda_a(widgets: Widgets) -> Container:
    return container(widgets)


# the same request again


def test_the_same_key_and_body_replay_the_first_201_byte_for_byte(
    widgets: Widgets, lambda_a: Container
) -> None:
    first = lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    again = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert first["statusCode"] == again["statusCode"] == 201
    assert again["body"] == first["body"]
    assert json.loads(first["body"])["owner"] == ADA
    assert again["headers"]["Location"] == first["headers"]["Location"]
    assert again["headers"]["Content-Type"] == first["headers"]["Content-Type"]
    assert again["headers"][REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first["headers"]
    assert widgets.runs == 1
    assert len(items("WIDGET#")) == 1


def test_another_container_replays_it_too(widgets: Widgets, lambda_a: Container) -> None:
    first = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    again = container(widgets).handle(post("/widgets", {"name": "sprocket"}))

    assert (again["statusCode"], again["body"]) == (201, first["body"])
    assert widgets.runs == 1


def test_the_same_json_spelled_differently_is_the_same_request(
    widgets: Widgets, lambda_a: Container
) -> None:
    first = lambda_a.handle(post("/widgets", raw_body='{"name":"sprocket","size":2}'))
    again = lambda_a.handle(post("/widgets", raw_body='{ "size": 2,\n  "name": "sprocket" }'))

    assert (again["statusCode"], again["body"]) == (201, first["body"])
    assert widgets.runs == 1


def test_a_different_body_with_the_same_key_is_422_and_does_not_run(
    widgets: Widgets, lambda_a: Container
) -> None:
    lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    reused = lambda_a.handle(post("/widgets", {"name": "gear"}))

    assert problem(reused) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert widgets.runs == 1
    # The stored answer is untouched: the original request still replays.
    assert lambda_a.handle(post("/widgets", {"name": "sprocket"}))["statusCode"] == 201


def test_the_same_key_on_another_resource_of_the_route_is_422(
    widgets: Widgets, lambda_a: Container
) -> None:
    def boxed(box_id: str) -> dict[str, Any]:
        return post(
            f"/boxes/{box_id}/widgets",
            {"name": "sprocket"},
            route_key="POST /boxes/{box_id}/widgets",
            path_parameters={"box_id": box_id},
        )

    assert lambda_a.handle(boxed("box_1"))["statusCode"] == 201

    assert problem(lambda_a.handle(boxed("box_2"))) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert widgets.runs == 1
    assert widgets.scopes[0].route == "POST /boxes/{box_id}/widgets"


def test_a_binary_body_replays_byte_for_byte(widgets: Widgets, lambda_a: Container) -> None:
    first = lambda_a.handle(post("/badges"))
    again = lambda_a.handle(post("/badges"))

    assert first["isBase64Encoded"] is again["isBase64Encoded"] is True
    assert (again["statusCode"], again["body"]) == (201, first["body"])
    assert again["headers"]["Content-Type"] == "image/png"
    assert widgets.runs == 1


def test_without_a_route_key_the_method_and_path_are_the_route(
    widgets: Widgets, lambda_a: Container
) -> None:
    lambda_a.handle(post("/widgets", {"name": "sprocket"}, route_key="$default"))

    assert widgets.scopes[0].route == "POST /widgets"


# the key


def test_no_key_is_400_missing_and_nothing_runs_or_is_stored(
    widgets: Widgets, lambda_a: Container
) -> None:
    result = lambda_a.handle(post("/widgets", {"name": "sprocket"}, key=None))

    assert problem(result) == (400, "IDEMPOTENCY_KEY_MISSING")
    assert json.loads(result["body"])["errors"][0]["field"] == "header.Idempotency-Key"
    assert widgets.runs == 0
    assert items("IDEMPOTENCY#") == []


@pytest.mark.parametrize("key", ["short", "x" * 256, "has spaces in it", "a/b/c/d/e/f"])
def test_a_bad_key_is_400_invalid_and_nothing_runs_or_is_stored(
    widgets: Widgets, lambda_a: Container, key: str
) -> None:
    result = lambda_a.handle(post("/widgets", {"name": "sprocket"}, key=key))

    assert problem(result) == (400, "IDEMPOTENCY_KEY_INVALID")
    assert key not in result["body"]
    assert widgets.runs == 0
    assert items("IDEMPOTENCY#") == []


def test_the_header_name_is_case_insensitive(widgets: Widgets, lambda_a: Container) -> None:
    event = post("/widgets", {"name": "sprocket"}, key=None)
    event["headers"]["IDEMPOTENCY-KEY"] = KEY

    assert lambda_a.handle(event)["statusCode"] == 201
    assert widgets.scopes[0].key == KEY


def test_without_a_caller_it_is_401_before_any_key_check(
    widgets: Widgets, lambda_a: Container
) -> None:
    result = lambda_a.handle(post("/widgets", {"name": "sprocket"}, caller=None, key=None))

    assert problem(result) == (401, "UNAUTHENTICATED")
    assert widgets.runs == 0


def test_an_invalid_body_is_refused_before_the_key_is_spent(
    widgets: Widgets, lambda_a: Container
) -> None:
    invalid = lambda_a.handle(post("/widgets", {"name": ""}))

    assert problem(invalid) == (422, "VALIDATION_FAILED")
    assert items("IDEMPOTENCY#") == []
    assert lambda_a.handle(post("/widgets", {"name": "sprocket"}))["statusCode"] == 201


# what is kept


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("server_error", 500, "BROKEN"),
        ("crash", 500, "INTERNAL_ERROR"),
        ("unavailable", 503, "DEPENDENCY_UNAVAILABLE"),
    ],
)
def test_a_5xx_is_not_stored_so_a_retry_runs_again(
    widgets: Widgets, lambda_a: Container, mode: str, status: int, code: str
) -> None:
    widgets.mode = mode
    failed = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert problem(failed) == (status, code)
    assert items("IDEMPOTENCY#") == []

    widgets.mode = "ok"
    retried = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert retried["statusCode"] == 201
    assert REPLAYED_HEADER not in retried["headers"]
    assert widgets.runs == 2


def test_a_refusal_is_the_requests_answer_and_is_replayed(
    widgets: Widgets, lambda_a: Container
) -> None:
    widgets.mode = "sold_out"
    refused = lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    widgets.mode = "ok"

    again = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert problem(refused) == (409, "SOLD_OUT")
    assert (again["statusCode"], again["body"]) == (409, refused["body"])
    assert again["headers"][REPLAYED_HEADER] == "true"
    assert widgets.runs == 1


# scope: (caller, route, key)


def test_other_callers_and_other_routes_with_the_same_key_are_independent(
    widgets: Widgets, lambda_a: Container
) -> None:
    ada = lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    grace = lambda_a.handle(post("/widgets", {"name": "sprocket"}, caller=GRACE))
    gadget = lambda_a.handle(post("/gadgets", {"name": "sprocket"}))

    assert [r["statusCode"] for r in (ada, grace, gadget)] == [201, 201, 201]
    assert json.loads(grace["body"])["owner"] == GRACE
    assert len({json.loads(r["body"])["widget_id"] for r in (ada, grace, gadget)}) == 3
    assert widgets.runs == 3
    assert {item["PK"]["S"] for item in items("IDEMPOTENCY#")} == {
        record_pk(ADA, "POST /widgets", KEY),
        record_pk(GRACE, "POST /widgets", KEY),
        record_pk(ADA, "POST /gadgets", KEY),
    }
    assert [(s.caller, s.route) for s in widgets.scopes] == [
        (ADA, "POST /widgets"),
        (GRACE, "POST /widgets"),
        (ADA, "POST /gadgets"),
    ]


def test_another_key_is_another_request(widgets: Widgets, lambda_a: Container) -> None:
    lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    lambda_a.handle(post("/widgets", {"name": "sprocket"}, key=OTHER_KEY))

    assert widgets.runs == 2


# in progress


def test_while_the_first_still_runs_the_same_request_is_409_and_a_different_one_422(
    widgets: Widgets, lambda_a: Container
) -> None:
    lambda_b = container(widgets)
    during: list[dict[str, Any]] = []

    def meanwhile() -> None:
        widgets.during_run = None
        during.append(
            lambda_b.app.resolve(post("/widgets", {"name": "sprocket"}), LambdaContext("b"))
        )
        during.append(lambda_b.app.resolve(post("/widgets", {"name": "gear"}), LambdaContext("b")))

    widgets.during_run = meanwhile

    first = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert first["statusCode"] == 201
    assert problem(during[0]) == (409, "DUPLICATE_IN_PROGRESS")
    assert during[0]["headers"]["Retry-After"] == "1"
    assert problem(during[1]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert widgets.runs == 1


def _race(apps: list[Container], event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every container handles ``event`` at once, each on its own thread.

    The events are identical on purpose: Powertools keeps the current event on a class
    attribute that every resolver in the process shares.
    """
    start = threading.Barrier(len(apps))
    results: list[dict[str, Any]] = [{} for _ in apps]

    def call(n: int) -> None:
        start.wait()
        context = LambdaContext(f"widgets-{n}")
        results[n] = apps[n].app.resolve(copy.deepcopy(event), context)  # type: ignore[arg-type]

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def warm_clients(table: str) -> None:
    client("dynamodb")  # one container-wide client, created before the threads share it


@pytest.mark.usefixtures("warm_clients")
def test_without_the_guard_twenty_concurrent_identical_requests_make_twenty_widgets(
    widgets: Widgets,
) -> None:
    widgets.delay_seconds = 0.2
    apps = [container(widgets) for _ in range(20)]

    results = _race(apps, post("/unguarded-widgets", {"name": "sprocket"}))

    assert [r["statusCode"] for r in results] == [201] * 20
    assert widgets.runs == 20
    assert len(items("WIDGET#")) == 20


@pytest.mark.usefixtures("warm_clients")
def test_twenty_concurrent_identical_requests_make_one_widget_the_rest_409_or_replay(
    widgets: Widgets,
) -> None:
    widgets.delay_seconds = 0.2
    apps = [container(widgets) for _ in range(20)]
    event = post("/widgets", {"name": "sprocket"})

    results = _race(apps, event)

    assert widgets.runs == 1
    assert len(items("WIDGET#")) == 1
    created = [r for r in results if r["statusCode"] == 201]
    refused = [r for r in results if r["statusCode"] != 201]
    assert created
    assert {r["body"] for r in created} == {created[0]["body"]}
    assert {problem(r) for r in refused} <= {(409, "DUPLICATE_IN_PROGRESS")}
    replay = apps[0].app.resolve(copy.deepcopy(event), LambdaContext("widgets"))  # type: ignore[arg-type]
    assert (replay["statusCode"], replay["body"]) == (201, created[0]["body"])


# the record


def test_the_record_is_keyed_on_a_digest_and_expires_after_24_hours(
    widgets: Widgets, lambda_a: Container
) -> None:
    before = int(time.time())
    first = lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    after = int(time.time())

    (record,) = items("IDEMPOTENCY#")
    assert record["PK"]["S"] == record_pk(ADA, "POST /widgets", KEY)
    assert record["SK"]["S"] == "IDEMPOTENCY"
    assert record["status"]["S"] == "COMPLETED"
    assert before + DAY <= int(record["expires_at"]["N"]) <= after + DAY
    assert json.loads(record["response"]["S"])["body"] == first["body"]
    assert KEY not in json.dumps(items(""))
    assert ADA not in record["PK"]["S"]


def test_after_24_hours_the_key_runs_again(widgets: Widgets, lambda_a: Container) -> None:
    first = lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    # moto never applies the TTL; DynamoDB may delete the item late: either way the
    # record must count as gone once expires_at has passed.
    client("dynamodb").update_item(
        TableName=settings().table_name,
        Key={"PK": {"S": record_pk(ADA, "POST /widgets", KEY)}, "SK": {"S": "IDEMPOTENCY"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )

    later = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert later["statusCode"] == 201
    assert REPLAYED_HEADER not in later["headers"]
    assert later["body"] != first["body"]
    assert widgets.runs == 2
    (record,) = items("IDEMPOTENCY#")
    assert int(record["expires_at"]["N"]) >= int(time.time()) + DAY - 5


# the store


def test_each_route_builds_its_own_persistence_layer_at_its_first_request(aws: AwsStack) -> None:
    aws.monkeypatch.delenv("TABLE_NAME", raising=False)  # as at import: not read yet
    new_container()
    lambda_a = container(Widgets())
    widgets_guard, gadgets_guard = lambda_a.guards["widgets"], lambda_a.guards["gadgets"]
    assert widgets_guard.persistence_layer is None

    aws.use_function("HealthFunction")
    lambda_a.handle(post("/widgets", {"name": "sprocket"}))
    layer = widgets_guard.persistence_layer
    lambda_a.handle(post("/widgets", {"name": "sprocket"}, key=OTHER_KEY))
    lambda_a.handle(post("/gadgets", {"name": "sprocket"}))

    assert layer is not None
    assert layer.table_name == settings().table_name
    assert widgets_guard.persistence_layer is layer
    assert gadgets_guard.persistence_layer not in (None, layer)
    assert widgets_guard.config is not gadgets_guard.config


def test_when_the_store_is_unreachable_the_request_is_refused_503_and_nothing_runs(
    aws: AwsStack, widgets: Widgets
) -> None:
    aws.use_function("HealthFunction")
    aws.monkeypatch.setenv("TABLE_NAME", "no-such-table")
    new_container()

    result = container(widgets).handle(post("/widgets", {"name": "sprocket"}))

    assert problem(result) == (503, "DEPENDENCY_UNAVAILABLE")
    assert widgets.runs == 0


def test_when_the_store_fails_after_the_route_ran_its_response_is_still_sent(
    widgets: Widgets, lambda_a: Container
) -> None:
    def store_goes_away() -> None:
        layer = lambda_a.guards["widgets"].persistence_layer
        assert layer is not None
        layer.table_name = "no-such-table"

    widgets.during_run = store_goes_away

    result = lambda_a.handle(post("/widgets", {"name": "sprocket"}))

    assert result["statusCode"] == 201
    assert widgets.runs == 1
    # The record stays in progress until the invocation's deadline: a retry meanwhile
    # is told to come back rather than run twice.
    lambda_b = container(widgets)
    retry = lambda_b.handle(post("/widgets", {"name": "sprocket"}))
    assert problem(retry) == (409, "DUPLICATE_IN_PROGRESS")
    (record,) = items("IDEMPOTENCY#")
    assert record["status"]["S"] == "INPROGRESS"
    assert int(record["in_progress_expires_at_ms"]["N"]) <= (time.time() + 5) * 1000


def test_the_scope_is_only_there_on_a_guarded_route(lambda_a: Container) -> None:
    with pytest.raises(RuntimeError, match="no idempotent_route"):
        idempotency_scope(lambda_a.app)


# a payment route's rate limits, counted in the record's own write
ORDERS = "POST /orders"  # a payment route (domain/rate_limits.py): its limits are deferred


def counters() -> dict[str, int]:
    """Each rate counter's hits, by family and key kind."""
    return {
        "#".join(item["PK"]["S"].split("#")[1:3]): int(item["hits"]["N"]) for item in items("RATE#")
    }


@pytest.fixture
def dynamodb_calls(table: str) -> Iterator[list[str]]:
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb", note)
    yield calls
    events.unregister("before-call.dynamodb", note)


def test_a_payment_request_creates_its_record_and_counts_its_limits_in_one_transaction(
    widgets: Widgets, lambda_a: Container, dynamodb_calls: list[str]
) -> None:
    created = lambda_a.handle(post("/widgets", {"name": "sprocket"}, route_key=ORDERS))

    assert created["statusCode"] == 201
    # The record and three counters in one transaction, the widget, the record completed.
    assert dynamodb_calls == ["TransactWriteItems", "PutItem", "UpdateItem"]
    assert counters() == {"general#ip": 1, "payment#ip": 1, "payment#user": 1}


def test_a_replay_counts_as_a_request_but_not_as_another_payment_attempt(
    widgets: Widgets, lambda_a: Container
) -> None:
    event = post("/widgets", {"name": "sprocket"}, route_key=ORDERS, ip="203.0.113.77")
    lambda_a.handle(copy.deepcopy(event))

    again = lambda_a.handle(copy.deepcopy(event))

    assert (again["statusCode"], again["headers"][REPLAYED_HEADER]) == (201, "true")
    assert widgets.runs == 1
    assert counters() == {"general#ip": 2, "payment#ip": 1, "payment#user": 1}


def test_the_sixth_payment_a_minute_from_one_address_is_429_with_no_record_left(
    widgets: Widgets, lambda_a: Container
) -> None:
    for n in range(5):
        answer = lambda_a.handle(
            post("/widgets", {"name": "s"}, route_key=ORDERS, key=f"key-{n:04}", ip="203.0.113.5")
        )
        assert answer["statusCode"] == 201

    refused = lambda_a.handle(
        post("/widgets", {"name": "s"}, route_key=ORDERS, key="key-0005", ip="203.0.113.5")
    )

    assert problem(refused) == (429, "RATE_LIMITED")
    assert json.loads(refused["body"])["family"] == "payment"
    assert widgets.runs == 5
    assert len(items("IDEMPOTENCY#")) == 5
    # Nothing of the refused request was counted: the transaction was all or nothing.
    assert counters() == {"general#ip": 5, "payment#ip": 5, "payment#user": 5}


def test_a_payment_request_refused_before_its_guard_still_counts_as_a_request(
    widgets: Widgets, lambda_a: Container
) -> None:
    refused = lambda_a.handle(
        post("/widgets", {"name": "s"}, caller=None, route_key=ORDERS, ip="203.0.113.9")
    )

    assert refused["statusCode"] == 401
    # A request, not a payment attempt (it never ran).
    assert counters() == {"general#ip": 1}


def test_twenty_concurrent_identical_payments_count_one_payment_attempt(
    widgets: Widgets,
) -> None:
    widgets.delay_seconds = 0.2
    apps = [container(widgets) for _ in range(20)]
    event = post("/widgets", {"name": "sprocket"}, route_key=ORDERS, ip="203.0.113.20")

    _race(apps, event)

    assert widgets.runs == 1
    hits = counters()
    assert (hits["payment#ip"], hits["payment#user"]) == (1, 1)
    assert hits["general#ip"] == 20
