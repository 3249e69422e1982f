"""Real handlers against moto in-process (request handling serialized, as DynamoDB
is atomic per item) and localstripe, with every resource provisioned from
template.yaml. Nothing here re-declares a table, queue or secret by hand."""

from __future__ import annotations

import importlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from scripts.devstack.provision import Provisioner
from scripts.devstack.template import REGION, Stack
from tests.conftest import ROOT, new_container, sample_event
from tests.local_servers import serving

_original_process_request = BotocoreStubber.process_request
_moto_lock = threading.RLock()


def _serialized_process_request(self: BotocoreStubber, request: Any) -> Any:
    with _moto_lock:
        return _original_process_request(self, request)


@pytest.fixture(scope="session", autouse=True)
def serialized_moto() -> Iterator[None]:
    """moto in-process handles concurrent requests without isolation; DynamoDB does not."""
    BotocoreStubber.process_request = _serialized_process_request  # type: ignore[method-assign]
    yield
    BotocoreStubber.process_request = _original_process_request  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    with serving("-m", "scripts.devstack.stripeserver", "--port") as url:
        yield url


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as ``context``."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 5000


@dataclass
class AwsStack:
    stack: Stack
    provisioner: Provisioner
    monkeypatch: pytest.MonkeyPatch

    def client(self, service: str) -> Any:
        return self.provisioner.client(service)

    def use_function(self, function_id: str) -> None:
        """Set the process environment to ``function_id``'s, as its container has it."""
        spec = self.stack.function(function_id)
        for key, value in spec.environment.items():
            self.monkeypatch.setenv(key, value)
        self.monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", spec.function_name)
        new_container()

    def handler_module(self, function_id: str) -> ModuleType:
        spec = self.stack.function(function_id)
        package = ".".join(spec.code_uri.relative_to(ROOT).parts)
        return importlib.import_module(f"{package}.{spec.handler_module}")

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        self.use_function(function_id)
        spec = self.stack.function(function_id)
        module = self.handler_module(function_id)
        return getattr(module, spec.handler_name)(event, LambdaContext(spec.function_name))

    def invoke_sample(self, function_id: str, scenario: str) -> Any:
        spec = self.stack.function(function_id)
        stem = ".".join(spec.code_uri.relative_to(ROOT / "functions").parts)
        return self.invoke(function_id, sample_event(stem, scenario))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, localstripe_url: str) -> Iterator[AwsStack]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        stack = Stack.load(
            ROOT, ROOT / "template.yaml", {"Stage": "test", "StripeApiBase": localstripe_url}
        )
        provisioner = Provisioner(stack, endpoint_url=None)
        provisioner.provision()
        yield AwsStack(stack, provisioner, monkeypatch)
        new_container()


InvokeSample = Callable[[str, str], Any]
