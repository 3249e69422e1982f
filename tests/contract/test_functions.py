"""Every function the template deploys has its code, sample events that parse with
its input model, and a test that invokes its handler with them."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    EventBridgeModel,
    SqsModel,
)

from scripts.devstack.template import Stack
from tests.conftest import EVENTS, ROOT, sample_event

STACK = Stack.load(ROOT, ROOT / "template.yaml")
FUNCTIONS = STACK.function_ids()
# Test modules that invoke handlers with sample events (directly or parametrized).
INVOKING_SOURCES = "\n".join(
    text
    for text in (p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    if "invoke_sample(" in text
)


def _authorizer_ids() -> set[str]:
    return {authorizer.function_id for authorizer in STACK.authorizers().values()}


def _validate_authorizer_event(event: dict[str, Any]) -> None:
    assert event["type"] == "REQUEST"
    assert event["version"] == "2.0"
    assert event["routeArn"].startswith("arn:aws:execute-api:")
    assert isinstance(event["identitySource"], list)


MODELS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "HttpApi": APIGatewayProxyEventV2Model.model_validate,
    "SQS": SqsModel.model_validate,
    "DynamoDB": DynamoDBStreamModel.model_validate,
    "Schedule": EventBridgeModel.model_validate,
    "ScheduleV2": EventBridgeModel.model_validate,
    "Authorizer": _validate_authorizer_event,
}


def _stem(function_id: str) -> str:
    return ".".join(STACK.function(function_id).code_uri.relative_to(ROOT / "functions").parts)


def _source_types(function_id: str) -> set[str]:
    events = STACK.properties(function_id).get("Events", {}).values()
    types = {event["Type"] for event in events}
    return types | ({"Authorizer"} if function_id in _authorizer_ids() else set())


def _scenarios(function_id: str) -> list[str]:
    stem = _stem(function_id)
    return sorted(p.name[len(stem) + 1 : -len(".json")] for p in EVENTS.glob(f"{stem}.*.json"))


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_the_function_code_exists_where_the_template_says(function_id):
    spec = STACK.function(function_id)
    assert (spec.code_uri / f"{spec.handler_module}.py").is_file()
    package = ".".join(spec.code_uri.relative_to(ROOT).parts)
    module = importlib.import_module(f"{package}.{spec.handler_module}")
    assert callable(getattr(module, spec.handler_name))


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_the_function_has_sample_events_that_parse_with_its_input_model(function_id):
    scenarios = _scenarios(function_id)
    assert scenarios, f"no events/{_stem(function_id)}.<scenario>.json"
    types = _source_types(function_id)
    assert types, f"{function_id} has no event source"
    assert types <= set(MODELS), f"no input model known for {types - set(MODELS)}"
    for scenario in scenarios:
        event = sample_event(_stem(function_id), scenario)
        errors = []
        for kind in types:
            try:
                MODELS[kind](event)
            except (ValueError, AssertionError, KeyError) as exc:
                errors.append(f"{kind}: {exc}")
            else:
                break
        else:
            pytest.fail(f"{scenario} parses with none of {sorted(types)}: {errors}")


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_a_test_invokes_the_handler_with_each_sample_event(function_id):
    for scenario in _scenarios(function_id):
        call = re.compile(rf"\"{function_id}\",\s*\"{re.escape(scenario)}\"")
        assert call.search(INVOKING_SOURCES), (
            f'no test calls invoke_sample("{function_id}", "{scenario}")'
        )


def test_every_sample_event_belongs_to_a_function():
    stems = {_stem(function_id) for function_id in FUNCTIONS}
    for path in EVENTS.glob("*.json"):
        assert path.name.rsplit(".", 2)[0] in stems, f"{path.name} names no deployed function"


def test_every_function_folder_is_deployed_by_the_template():
    deployed = {STACK.function(f).code_uri.resolve() for f in FUNCTIONS}
    on_disk = {p.parent.resolve() for p in (ROOT / "functions").glob("**/app.py")}
    assert on_disk == deployed
