"""template.yaml is read the way CloudFormation and SAM read it."""

import json
from pathlib import Path

import pytest

from scripts.devstack.template import ACCOUNT_ID, REGION, Stack, TemplateError

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: prod}
  Secretive: {Type: String}
Globals:
  Function:
    Runtime: python3.13
    Timeout: 7
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        QUEUE_URL: !Ref Jobs
        STAGE: !Sub "stage-${Stage}"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: !Sub "things-${Stage}"}
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt Gatekeeper.Arn
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization], ReauthorizeEvery: 0}
  Gatekeeper:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/gate/, Handler: app.handler}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/worker/
      Handler: main.run
      MemorySize: 256
      Environment: {Variables: {EXTRA: !Join ["-", [a, !Ref "AWS::Region"]]}}
      Events:
        Open:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: get, Path: /open, Auth: {Authorizer: NONE}}
        Closed: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: POST, Path: "/things/{id}"}}
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
        Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes), Input: '{"job": "tick"}'}}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return Stack.load(tmp_path, path, {"Secretive": "x"})


def test_parameters_take_defaults_and_overrides(stack):
    assert stack.parameters == {"Stage": "prod", "Secretive": "x"}


def test_a_parameter_without_default_or_override_is_an_error(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    with pytest.raises(TemplateError, match="Secretive"):
        Stack.load(tmp_path, path)


def test_short_form_intrinsics_resolve_to_local_names(stack):
    assert stack.resolve({"Ref": "Table"}) == "things-prod"
    assert stack.resolve({"Fn::Sub": "${AWS::Region}/${Table}/${!Literal}"}) == (
        f"{REGION}/things-prod/${{Literal}}"
    )
    assert stack.get_att("Table", "Arn") == (
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/things-prod"
    )
    assert stack.physical_name("Jobs").endswith("-Jobs.fifo")


def test_a_queue_url_is_the_aws_shaped_one_until_provisioning_records_the_real_one(stack):
    name = stack.physical_name("Jobs")
    assert stack.resolve({"Ref": "Jobs"}) == (
        f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
    )
    stack.attributes[("Jobs", "QueueUrl")] = "http://moto/123/jobs.fifo"
    assert stack.resolve({"Ref": "Jobs"}) == "http://moto/123/jobs.fifo"


def test_unsupported_intrinsics_and_unknown_names_fail_loudly(stack):
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        stack.resolve({"Fn::ImportValue": "elsewhere"})
    with pytest.raises(TemplateError, match="Nope"):
        stack.resolve({"Ref": "Nope"})


def test_a_function_merges_globals_with_its_own_properties(stack):
    stack.attributes[("Jobs", "QueueUrl")] = "http://moto/123/jobs.fifo"
    spec = stack.function("Worker")
    assert (spec.handler_module, spec.handler_name) == ("main", "run")
    assert (spec.timeout, spec.memory) == (7, 256)
    assert spec.code_uri == stack.root / "functions/worker/"
    assert spec.environment == {
        "TABLE_NAME": "things-prod",
        "QUEUE_URL": "http://moto/123/jobs.fifo",
        "STAGE": "stage-prod",
        "EXTRA": f"a-{REGION}",
    }


def test_routes_carry_their_authorizer_or_none(stack):
    routes = {r.route_key: r.authorizer for r in stack.http_routes()}
    assert routes == {"GET /open": None, "POST /things/{id}": "Gate"}
    (gate,) = stack.authorizers().values()
    assert gate.function_id == "Gatekeeper"
    assert gate.identity_headers == ("Authorization",)
    assert gate.reauthorize_every == 0
    assert gate.simple_responses


def test_event_sources_are_read_from_function_events(stack):
    stack.attributes[("Jobs", "QueueUrl")] = "http://moto/123/jobs.fifo"
    (queue,) = stack.sqs_sources()
    assert (queue.function_id, queue.batch_size, queue.report_batch_item_failures) == (
        "Worker",
        5,
        True,
    )
    (tick,) = stack.schedule_sources()
    assert (tick.expression, tick.input, tick.scheduler) == (
        "rate(5 minutes)",
        {"job": "tick"},
        False,
    )


def test_the_real_template_loads_and_every_route_names_a_function():
    root = Path(__file__).resolve().parents[3]
    stack = Stack.load(root, root / "template.yaml")
    routes = stack.http_routes()
    assert routes, "the template declares no routes"
    assert {r.function_id for r in routes} <= set(stack.function_ids())
    assert json.dumps(stack.template)  # nothing unserialisable left by the loader
