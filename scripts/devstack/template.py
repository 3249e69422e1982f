"""template.yaml as data: CloudFormation tags, intrinsic functions, and the SAM
functions with their event sources, resolved for a local account and region.

Everything the local stack runs is read from here: there is no second list of
routes, queues or schedules.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"


class TemplateError(ValueError):
    """The template uses something the local stack cannot reproduce faithfully."""


# ----------------------------------------------------------------------- loading
class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns short-form tags (!Ref, !GetAtt, !Sub ...) into Fn:: maps."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as data: a fresh copy each call (callers resolve it in place), parsed
    once per version of the file (parsing costs ~0.3 s; every test stack loads it)."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _parsed(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506  (SafeLoader subclass)
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return document


# -------------------------------------------------------------------- the model
@dataclass(frozen=True)
class HttpRoute:
    function_id: str
    method: str  # upper case, or "ANY"
    path: str  # "/orders/{order_id}", "/{proxy+}" or "$default"
    api_id: str
    authorizer: str | None  # name within the api's Auth.Authorizers, None = open

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Authorizer:
    name: str
    function_id: str
    identity_headers: tuple[str, ...]
    identity_query: tuple[str, ...]
    reauthorize_every: int
    simple_responses: bool
    payload_version: str


@dataclass(frozen=True)
class SqsSource:
    function_id: str
    name: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass(frozen=True)
class StreamSource:
    function_id: str
    name: str
    stream_arn: str
    starting_position: str
    batch_size: int
    filter_patterns: tuple[dict[str, Any], ...]
    report_batch_item_failures: bool
    maximum_retry_attempts: int
    enabled: bool


@dataclass(frozen=True)
class ScheduleSource:
    function_id: str
    name: str
    expression: str
    input: Any  # the event payload; None = the standard scheduled event
    enabled: bool
    scheduler: bool  # ScheduleV2 (EventBridge Scheduler) vs a Schedule rule


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    function_name: str
    code_uri: Path
    handler_module: str
    handler_name: str
    timeout: int
    memory: int
    environment: dict[str, str]


@dataclass
class Stack:
    """A template plus the local values its intrinsics resolve to."""

    root: Path
    template: dict[str, Any]
    name: str = "admitone-local"
    parameters: dict[str, str] = field(default_factory=dict)
    # Attributes only known once a resource exists (queue URLs, stream ARNs),
    # recorded by the provisioner: (logical id, attribute) -> value.
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, root: Path, template_path: Path, overrides: Mapping[str, str] | None = None
    ) -> Stack:
        template = load_template(template_path)
        parameters: dict[str, str] = {}
        for key, spec in template.get("Parameters", {}).items():
            if "Default" in spec:
                parameters[key] = str(spec["Default"])
        parameters.update(overrides or {})
        missing = sorted(set(template.get("Parameters", {})) - set(parameters))
        if missing:
            raise TemplateError(f"parameters without a value: {', '.join(missing)}")
        return cls(root=root, template=template, parameters=parameters)

    # ------------------------------------------------------------ resources
    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        explicit = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::Events::EventBus": "Name",
            "AWS::Events::Rule": "Name",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::SSM::Parameter": "Name",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::SES::EmailIdentity": "EmailIdentity",
            "AWS::KMS::Alias": "AliasName",
        }.get(resource["Type"])
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        name = f"{self.name}-{logical_id}"
        if resource["Type"] == "AWS::SQS::Queue" and props.get("FifoQueue"):
            name += ".fifo"
        return name

    # ---------------------------------------------------------- intrinsics
    def resolve(self, value: Any) -> Any:  # noqa: PLR0911  (one return per intrinsic)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = (
                    argument.split(".", 1) if isinstance(argument, str) else argument
                )
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                delimiter, items = argument
                return str(delimiter).join(str(i) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = self.resolve(argument)
                return items[int(index)]
            if key == "Fn::Split":
                delimiter, source = argument
                return str(self.resolve(source)).split(delimiter)
            if key == "Fn::FindInMap":
                mapping, top, second = (str(self.resolve(part)) for part in argument)
                return self.template["Mappings"][mapping][top][second]
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(argument), separators=(",", ":"))
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic {key} is not supported by the local stack")
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> Any:  # noqa: PLR0911  (one return per kind of resource)
        pseudo = {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise TemplateError(f"!Ref {name}: no such parameter or resource")
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            # Before provisioning (contract checks and tools read function environments)
            # the URL AWS and in-process moto give; provisioning records the endpoint's.
            return self.attributes.get(
                (name, "QueueUrl"),
                f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{self.physical_name(name)}",
            )
        if kind in ("AWS::SecretsManager::Secret", "AWS::Serverless::LayerVersion"):
            return self.get_att(name, "Arn")
        if kind == "AWS::Serverless::HttpApi":
            return f"local{name.lower()}"
        if kind == "AWS::KMS::Key":
            # A key's id is made by KMS when it is created.
            return self._attribute(name, "KeyId")
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}",
            "AWS::Events::EventBus": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}",
            "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            "AWS::SecretsManager::Secret": (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}"
            ),
            "AWS::Serverless::LayerVersion": (
                f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}:1"
            ),
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute in ("QueueName", "Name"):
            return name
        return self._attribute(logical_id, attribute)

    def _attribute(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise TemplateError(
                f"{logical_id}.{attribute} is only known once {logical_id} is provisioned"
            ) from None

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and token.split(".", 1)[0] in self.resources:
                logical_id, attribute = token.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self._ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # ------------------------------------------------------------ functions
    def function_ids(self) -> list[str]:
        return sorted(self.resources_of_type("AWS::Serverless::Function"))

    def _function_globals(self) -> dict[str, Any]:
        return dict(self.template.get("Globals", {}).get("Function", {}))

    def function(self, logical_id: str) -> FunctionSpec:
        merged = self._function_globals()
        props = self.properties(logical_id)
        env = dict(merged.get("Environment", {}).get("Variables", {}))
        env.update(props.get("Environment", {}).get("Variables", {}))
        merged.update(props)
        handler = str(merged["Handler"])
        module, _, attribute = handler.rpartition(".")
        code_uri = self.root / str(merged["CodeUri"])
        resolved_env = {
            key: "" if value is None else str(value) for key, value in self.resolve(env).items()
        }
        return FunctionSpec(
            logical_id=logical_id,
            function_name=self.physical_name(logical_id),
            code_uri=code_uri,
            handler_module=module,
            handler_name=attribute,
            timeout=int(merged.get("Timeout", 3)),
            memory=int(merged.get("MemorySize", 128)),
            environment=resolved_env,
        )

    def function_for_arn(self, arn: str) -> str:
        for logical_id in self.function_ids():
            if self.get_att(logical_id, "Arn") == arn:
                return logical_id
        raise TemplateError(f"no function in the template has ARN {arn}")

    def _events(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        found = []
        for logical_id in self.function_ids():
            for name, event in self.properties(logical_id).get("Events", {}).items():
                if event.get("Type") == kind:
                    found.append((logical_id, name, dict(event.get("Properties", {}))))
        return found

    def event_types(self) -> set[str]:
        return {
            event.get("Type")
            for logical_id in self.function_ids()
            for event in self.properties(logical_id).get("Events", {}).values()
        }

    # -------------------------------------------------------------- HTTP API
    def _api_auth(self, api_id: str | None) -> dict[str, Any]:
        if api_id is None:
            return dict(self.template.get("Globals", {}).get("HttpApi", {}).get("Auth", {}))
        return dict(self.properties(api_id).get("Auth", {}))

    def http_routes(self) -> list[HttpRoute]:
        routes = []
        for function_id, _, props in self._events("HttpApi"):
            api_ref = props.get("ApiId")
            api_id = api_ref["Ref"] if isinstance(api_ref, dict) else None
            auth = self._api_auth(api_id)
            authorizer = (props.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
            if authorizer in ("NONE", None):
                authorizer = None
            routes.append(
                HttpRoute(
                    function_id=function_id,
                    method=str(props.get("Method", "ANY")).upper(),
                    path=str(props.get("Path", "$default")),
                    api_id=api_id or "ServerlessHttpApi",
                    authorizer=authorizer,
                )
            )
        return routes

    def authorizers(self) -> dict[tuple[str, str], Authorizer]:
        found: dict[tuple[str, str], Authorizer] = {}
        api_ids = [*self.resources_of_type("AWS::Serverless::HttpApi"), None]
        for api_id in api_ids:
            for name, spec in self._api_auth(api_id).get("Authorizers", {}).items():
                if "FunctionArn" not in spec:
                    raise TemplateError(
                        f"authorizer {name}: only Lambda authorizers run locally (JWT ones need "
                        "a real issuer)"
                    )
                identity = spec.get("Identity", {})
                found[(api_id or "ServerlessHttpApi", name)] = Authorizer(
                    name=name,
                    function_id=self.function_for_arn(self.resolve(spec["FunctionArn"])),
                    identity_headers=tuple(identity.get("Headers", ())),
                    identity_query=tuple(identity.get("QueryStrings", ())),
                    reauthorize_every=int(identity.get("ReauthorizeEvery", 300)),
                    simple_responses=bool(spec.get("EnableSimpleResponses", False)),
                    payload_version=str(spec.get("AuthorizerPayloadFormatVersion", "2.0")),
                )
        return found

    # --------------------------------------------------------- event sources
    def sqs_sources(self) -> list[SqsSource]:
        sources = []
        for function_id, name, props in self._events("SQS"):
            arn = self.resolve(props["Queue"])
            queue_id = self._queue_for_arn(arn)
            sources.append(
                SqsSource(
                    function_id=function_id,
                    name=name,
                    queue_url=self._ref(queue_id),
                    queue_arn=arn,
                    batch_size=int(props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in props.get("FunctionResponseTypes", []),
                    enabled=bool(props.get("Enabled", True)),
                )
            )
        return sources

    def _queue_for_arn(self, arn: str) -> str:
        for logical_id in self.resources_of_type("AWS::SQS::Queue"):
            if self.get_att(logical_id, "Arn") == arn:
                return logical_id
        raise TemplateError(f"no queue in the template has ARN {arn}")

    def stream_sources(self) -> list[StreamSource]:
        sources = []
        for function_id, name, props in self._events("DynamoDB"):
            patterns = tuple(
                json.loads(self.resolve(f["Pattern"]))
                for f in props.get("FilterCriteria", {}).get("Filters", [])
            )
            sources.append(
                StreamSource(
                    function_id=function_id,
                    name=name,
                    stream_arn=self.resolve(props["Stream"]),
                    starting_position=str(props.get("StartingPosition", "LATEST")),
                    batch_size=int(props.get("BatchSize", 100)),
                    filter_patterns=patterns,
                    report_batch_item_failures="ReportBatchItemFailures"
                    in props.get("FunctionResponseTypes", []),
                    maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    enabled=bool(props.get("Enabled", True)),
                )
            )
        return sources

    def schedule_sources(self) -> list[ScheduleSource]:
        sources = []
        for kind in ("Schedule", "ScheduleV2"):
            for function_id, name, props in self._events(kind):
                raw_input = props.get("Input")
                state = props.get("State", "ENABLED")
                enabled = bool(props.get("Enabled", True)) and state == "ENABLED"
                sources.append(
                    ScheduleSource(
                        function_id=function_id,
                        name=name,
                        expression=str(
                            self.resolve(props.get("Schedule") or props.get("ScheduleExpression"))
                        ),
                        input=json.loads(self.resolve(raw_input)) if raw_input else None,
                        enabled=enabled,
                        scheduler=kind == "ScheduleV2",
                    )
                )
        return sources
