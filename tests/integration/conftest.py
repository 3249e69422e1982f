"""Real handlers against moto in-process (request handling serialized, as DynamoDB
is atomic per item) and localstripe, with every resource provisioned from
template.yaml. Nothing here re-declares a table, queue or secret by hand."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from scripts.devstack import moto_patches
from scripts.devstack.gateway import Gateway, Request
from scripts.devstack.provision import Provisioner
from scripts.devstack.runtime import InvokeResult
from scripts.devstack.template import REGION, Stack
from tests.conftest import ROOT, new_container, next_function, sample_event
from tests.integration import moto_snapshot
from tests.local_servers import serving

_original_process_request = BotocoreStubber.process_request
_moto_lock = threading.RLock()


def _serialized_process_request(self: BotocoreStubber, request: Any) -> Any:
    with _moto_lock:
        return _original_process_request(self, request)


@pytest.fixture(scope="session", autouse=True)
def serialized_moto() -> Iterator[None]:
    """moto in-process handles concurrent requests without isolation; DynamoDB does not."""
    moto_patches.install()
    BotocoreStubber.process_request = _serialized_process_request  # type: ignore[method-assign]
    yield
    BotocoreStubber.process_request = _original_process_request  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    with serving("-m", "scripts.devstack.stripeserver", "--port") as url:
        yield url


@pytest.fixture(scope="session")
def chain_url() -> Iterator[str]:
    """The local stack's chain server (its own process), shared by the session's tests:
    each uses keys and contracts of its own on it, or the one ticket contract
    ``ticket_contract.deploy`` finds (with its own minter key allowed)."""
    with serving("-m", "scripts.devstack.chainserver", "--port") as url:
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
        next_function()

    def handler_module(self, function_id: str) -> ModuleType:
        spec = self.stack.function(function_id)
        package = ".".join(spec.code_uri.relative_to(ROOT).parts)
        return importlib.import_module(f"{package}.{spec.handler_module}")

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        self.use_function(function_id)
        spec = self.stack.function(function_id)
        module = self.handler_module(function_id)
        return getattr(module, spec.handler_name)(event, LambdaContext(spec.function_name))

    def access_token(self, user_id: str, *roles: str, email: str = "user@example.com") -> str:
        """An access token signed with the stack's own key, as login would issue it.

        The authorizer only accepts tokens of users that exist, so the user is stored
        too (with these roles and address) unless it already is."""
        from admitone.adapters.dynamo import keys  # noqa: PLC0415
        from admitone.adapters.dynamo.table import ConditionFailed, put  # noqa: PLC0415
        from admitone.adapters.signing_keys import load_keyset  # noqa: PLC0415
        from admitone.domain.jwt_tokens import AccessClaims, Role, issue_jwt  # noqa: PLC0415

        self.use_function("LoginFunction")
        with contextlib.suppress(ConditionFailed):
            put(
                {
                    **keys.user(user_id),
                    "entity": "user",
                    "user_id": user_id,
                    "email": email,
                    "name": "Test User",
                    "roles": list(roles),
                    "email_verified": True,
                    "password_hash": "!",  # no password signs in to it
                    "created_at": int(datetime.now(UTC).timestamp()),
                },
                condition="attribute_not_exists(PK)",
            )
        claims = AccessClaims(sub=user_id, roles=tuple(Role(r) for r in roles), email=email)
        issuer = self.stack.function("LoginFunction").environment["JWT_ISSUER"]
        return issue_jwt(claims, keys=load_keyset(), issuer=issuer, now=datetime.now(UTC)).token

    def invoke_sample(self, function_id: str, scenario: str) -> Any:
        spec = self.stack.function(function_id)
        stem = ".".join(spec.code_uri.relative_to(ROOT / "functions").parts)
        return self.invoke(function_id, sample_event(stem, scenario))


def _aws_environment(env: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.delenv(key, raising=False)
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_DEFAULT_REGION", REGION)
    env.setenv("AWS_REGION", REGION)


@dataclass(frozen=True)
class Provisioned:
    stack: Stack
    provisioner: Provisioner
    snapshot: moto_snapshot.Snapshot


@pytest.fixture(scope="session")
def provisioned(localstripe_url: str) -> Provisioned:
    """template.yaml provisioned into the in-process moto once per worker, and a copy of
    moto's state right after, which each test starts from (tests/integration/moto_snapshot.py)."""
    with pytest.MonkeyPatch.context() as env:
        _aws_environment(env)
        stack = Stack.load(
            ROOT,
            ROOT / "template.yaml",
            {
                "Stage": "test",
                "StripeApiBase": localstripe_url,
                # The tests' webhook receivers listen on 127.0.0.1, as a local stack's do.
                "WebhooksAllowLoopback": "true",
            },
        )
        mock = mock_aws()
        mock.start()
        try:
            provisioner = Provisioner(stack, endpoint_url=None)
            provisioner.provision()
            snapshot = moto_snapshot.take()
        finally:
            mock.stop(remove_data=False)
    return Provisioned(stack, provisioner, snapshot)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, provisioned: Provisioned) -> Iterator[AwsStack]:
    """The provisioned stack as it was right after provisioning, in this test's moto."""
    _aws_environment(monkeypatch)
    with mock_aws():
        # mock_aws empties moto on entry; the provisioned state comes back from the copy.
        moto_snapshot.restore(provisioned.snapshot)
        new_container()
        yield AwsStack(provisioned.stack, provisioned.provisioner, monkeypatch)
        new_container()


class InProcessRuntime:
    """Runs functions in this process (on the in-process moto) for the local Gateway."""

    def __init__(self, aws: AwsStack) -> None:
        self.aws = aws

    def invoke(self, function_id: str, event: dict[str, Any]) -> InvokeResult:
        try:
            return InvokeResult(ok=True, payload=self.aws.invoke(function_id, event))
        except Exception as exc:
            logging.getLogger(__name__).exception("%s raised", function_id)
            return InvokeResult(
                ok=False, error={"errorType": type(exc).__name__, "errorMessage": str(exc)}
            )


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """The HTTP API as clients see it: routes, authorizer and handlers of template.yaml.

    Each request comes from a new TEST-NET address unless ``ip`` is given, so tests that
    are not about per-IP rate limits do not trip them.
    """

    gateway: Gateway
    _addresses: Iterator[str] = field(
        default_factory=lambda: (f"198.51.100.{n % 254 + 1}" for n in itertools.count())
    )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        token: str | None = None,
        ip: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        path, _, query = path.partition("?")
        sent = {"Content-Type": "application/json", "User-Agent": "pytest", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        body = b"" if json_body is None else json.dumps(json_body).encode()
        source = ip or next(self._addresses)
        reply = self.gateway.handle(Request(method, path, query, list(sent.items()), body, source))
        return ApiResponse(reply.status, {k.lower(): v for k, v in reply.headers}, reply.body)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json_body, **kwargs)


@pytest.fixture
def api(aws: AwsStack) -> Api:
    return Api(Gateway(aws.stack, InProcessRuntime(aws)))  # type: ignore[arg-type]
