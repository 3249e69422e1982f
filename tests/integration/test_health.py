"""GET /health answers that the service lives; GET /admin/health tells whether the table,
the bus and Stripe really answer."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import sample_event
from tests.integration.conftest import AwsStack

ADMIN_ID = "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Z0"


def signed_by_an_admin(aws: AwsStack) -> dict[str, Any]:
    """The deep check's sample event with a real admin token for its forged one (the
    function checks the token itself; made before a test takes the table away)."""
    event = sample_event("admin.health", "forged_token")
    token = aws.access_token(ADMIN_ID, "buyer", "admin", email="admin@admitone.local")
    event["headers"]["authorization"] = f"Bearer {token}"
    return event


def test_the_deep_check_refuses_a_forged_token_with_a_401_problem(aws: AwsStack):
    response = aws.invoke_sample("AdminHealthFunction", "forged_token")
    assert response["statusCode"] == 401
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"])["code"] == "TOKEN_INVALID"


def test_the_public_health_check_says_ok_and_nothing_else(aws: AwsStack):
    response = aws.invoke_sample("HealthFunction", "ok")
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}
    assert response["headers"]["Cache-Control"] == "no-store"


def test_the_public_health_check_lives_while_the_table_is_gone(aws: AwsStack):
    aws.client("dynamodb").delete_table(TableName=aws.stack.physical_name("Table"))
    assert aws.invoke_sample("HealthFunction", "ok")["statusCode"] == 200


def test_health_is_ok_when_every_dependency_answers(aws: AwsStack):
    response = aws.invoke("AdminHealthFunction", signed_by_an_admin(aws))
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "table": "ok",
        "bus": "ok",
        "stripe": "ok",
    }
    assert response["headers"]["Cache-Control"] == "no-store"


def test_health_is_503_naming_the_table_when_the_table_is_gone(aws: AwsStack):
    event = signed_by_an_admin(aws)
    aws.client("dynamodb").delete_table(TableName=aws.stack.physical_name("Table"))
    response = aws.invoke("AdminHealthFunction", event)
    assert response["statusCode"] == 503
    checks = json.loads(response["body"])["checks"]
    assert checks["table"]["status"] == "fail"
    assert checks["table"]["error"] == "ResourceNotFoundException"
    assert checks["bus"]["status"] == "ok"


def test_health_is_503_naming_the_bus_when_the_bus_is_gone(aws: AwsStack):
    event = signed_by_an_admin(aws)
    aws.client("events").delete_event_bus(Name=aws.stack.physical_name("EventBus"))
    response = aws.invoke("AdminHealthFunction", event)
    assert response["statusCode"] == 503
    body = json.loads(response["body"])
    assert body["status"] == "fail"
    assert body["checks"]["bus"]["status"] == "fail"
    assert body["checks"]["table"]["status"] == "ok"


def test_an_unknown_path_is_a_problem_json_404(aws: AwsStack):
    event = {**sample_event("system.health", "ok"), "rawPath": "/nope", "routeKey": "$default"}
    event["requestContext"] = {
        **event["requestContext"],
        "http": {**event["requestContext"]["http"], "path": "/nope"},
    }
    response = aws.invoke("HealthFunction", event)
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"])["code"] == "ROUTE_NOT_FOUND"
