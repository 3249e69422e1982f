"""The local gateway speaks API Gateway's HTTP API payload 2.0, both ways."""

import base64
import http.client
import json
from pathlib import Path

import pytest

from scripts.devstack.gateway import Gateway, Request, _policy_allows, serve
from scripts.devstack.runtime import InvokeResult
from scripts.devstack.template import Stack

TEMPLATE = """
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Events:
        Literal: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /orders/mine}}
        Param:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: GET, Path: "/orders/{order_id}"}
        Any: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: ANY, Path: "/orders/{order_id}"}}
        Greedy: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: ANY, Path: "/files/{proxy+}"}}
        Venue:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: GET, Path: "/venues/{venue_id}"}
"""


class RecordingRuntime:
    """Answers every invocation with a canned result and remembers the events."""

    def __init__(self, result: InvokeResult) -> None:
        self.result = result
        self.events: list[dict] = []

    def invoke(self, function_id, event):
        self.events.append(event)
        return self.result


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return Stack.load(tmp_path, tmp_path / "template.yaml")


def gateway(stack, payload=None, ok=True, error=None):
    return Gateway(stack, RecordingRuntime(InvokeResult(ok=ok, payload=payload, error=error)))


def request(method="GET", path="/orders/ord_1", query="", headers=(), body=b""):
    return Request(method, path, query, list(headers), body, "127.0.0.1")


@pytest.mark.parametrize(
    ("method", "path", "route_key"),
    [
        ("GET", "/orders/mine", "GET /orders/mine"),
        ("GET", "/orders/ord_1", "GET /orders/{order_id}"),
        ("DELETE", "/orders/ord_1", "ANY /orders/{order_id}"),
        ("GET", "/files/a/b/c.png", "ANY /files/{proxy+}"),
    ],
)
def test_the_most_specific_route_wins(stack, method, path, route_key):
    found = gateway(stack).find_route(method, path)
    assert found is not None
    assert found[0].route_key == route_key


def test_an_unknown_path_is_a_404_without_invoking_anything(stack):
    gw = gateway(stack)
    reply = gw.handle(request(path="/nowhere"))
    assert reply.status == 404
    assert gw.runtime.events == []


def test_the_event_carries_path_query_headers_cookies_and_text_body(stack):
    gw = gateway(stack, payload={"statusCode": 204})
    gw.handle(
        request(
            method="DELETE",
            query="a=1&a=2&b=",
            headers=[
                ("X-Multi", "one"),
                ("x-multi", "two"),
                ("Cookie", "s=1; t=2"),
                ("Content-Type", "application/json"),
            ],
            body=b'{"k": 1}',
        )
    )
    (event,) = gw.runtime.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /orders/{order_id}"
    assert event["pathParameters"] == {"order_id": "ord_1"}
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": 1}', False)
    assert event["requestContext"]["http"]["method"] == "DELETE"


def test_a_binary_body_arrives_base64_encoded(stack):
    gw = gateway(stack, payload={"statusCode": 200})
    gw.handle(request(headers=[("Content-Type", "image/png")], body=b"\x89PNG\x00"))
    (event,) = gw.runtime.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG\x00"


def test_the_reply_keeps_status_headers_cookies_and_decodes_base64(stack):
    payload = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-Id": "7"},
        "cookies": ["a=1; HttpOnly", "b=2"],
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }
    reply = gateway(stack, payload).handle(request())
    assert reply.status == 201
    assert ("content-type", "image/png") in reply.headers
    assert [v for k, v in reply.headers if k == "set-cookie"] == ["a=1; HttpOnly", "b=2"]
    assert reply.body == b"\x00\x01"


def test_a_result_without_status_code_is_a_200_json_body(stack):
    reply = gateway(stack, {"hello": "world"}).handle(request())
    assert reply.status == 200
    assert json.loads(reply.body) == {"hello": "world"}


@pytest.mark.parametrize(("error_type", "status"), [("ValueError", 500), ("Sandbox.Timedout", 503)])
def test_a_failing_function_is_a_500_and_a_timeout_a_503(stack, error_type, status):
    reply = gateway(stack, ok=False, error={"errorType": error_type}).handle(request())
    assert reply.status == status
    assert b"Traceback" not in reply.body


ARN = "arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/orders/1"


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([{"Effect": "Allow", "Resource": ARN}], True),
        ([{"Effect": "Allow", "Resource": ["arn:aws:execute-api:*:*:api/*"]}], True),
        ([{"Effect": "Allow", "Resource": "arn:aws:execute-api:*:*:api/*/POST/*"}], False),
        ([{"Effect": "Allow", "Resource": "*"}, {"Effect": "Deny", "Resource": ARN}], False),
        ([], False),
    ],
)
def test_an_iam_policy_response_allows_only_matching_resources(statements, allowed):
    assert _policy_allows({"Statement": statements}, ARN) is allowed


@pytest.fixture
def served(stack):
    gw = gateway(stack, payload={"statusCode": 200, "body": "routed"})
    server = serve(gw, "127.0.0.1", 0)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _send(port: int, method: str, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "FOO", "CONNECT", "PROPFIND", "get"])
def test_a_method_without_a_route_is_api_gateways_404_json(served, method):
    status, content_type, body = _send(served, method, "/venues/ven_1")
    assert (status, content_type) == (404, "application/json")
    assert json.loads(body) == {"message": "Not Found"}


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "FOO"])
def test_any_method_reaches_an_any_route(served, method):
    assert _send(served, method, "/orders/ord_1")[::2] == (200, b"routed")


def test_head_and_options_are_not_routed_to_get_without_a_route_of_their_own(served):
    # HTTP APIs route HEAD only to a HEAD or ANY route, and without a CORS configuration
    # OPTIONS is an ordinary method: no automatic preflight answer.
    assert _send(served, "HEAD", "/venues/ven_1")[:2] == (404, "application/json")
    assert _send(served, "OPTIONS", "/venues/ven_1")[:2] == (404, "application/json")
    assert _send(served, "GET", "/venues/ven_1")[::2] == (200, b"routed")
