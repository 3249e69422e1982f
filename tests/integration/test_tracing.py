"""Tracing when asked: off (the template's default), no function imports the X-Ray SDK;
on, every handler is captured. Each case is a fresh interpreter, as a cold start is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.devstack.template import Stack
from tests.conftest import EVENTS, ROOT

# Imports an HTTP function (built by http_handler) and the authorizer, then invokes the
# authorizer with a request it answers without touching AWS (not a bearer token).
_PROBE = """\
import json, sys
import functions.system.health.app
from functions.auth.authorizer import app

class Context:
    function_name = "admitone-local-AuthorizerFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    memory_limit_in_mb = 512
    aws_request_id = "request-1"

    def get_remaining_time_in_millis(self):
        return 5000

with open(sys.argv[1]) as sample:
    event = json.load(sample)
event["headers"]["authorization"] = "Basic e30="
answer = app.handler(event, Context())
print(json.dumps({
    "answer": answer,
    "xray": sorted(name for name in sys.modules if name.startswith("aws_xray_sdk")),
    "sentry": "sentry_sdk" in sys.modules,
}))
"""


@pytest.fixture
def xray_daemon() -> Iterator[socket.socket]:
    """Where the X-Ray SDK sends segments (UDP), on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(5)
        yield daemon


def _cold_start(extra_env: dict[str, str], **parameters: str) -> dict[str, Any]:
    stack = Stack.load(ROOT, ROOT / "template.yaml", parameters)
    spec = stack.function("AuthorizerFunction")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "admitone")]),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        **spec.environment,
        **extra_env,
    }
    sample = EVENTS / "auth.authorizer.malformed_token.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(sample)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_with_tracing_off_no_function_imports_the_xray_sdk_or_sentry():
    seen = _cold_start({})
    assert seen["answer"]["isAuthorized"] is True
    assert seen["xray"] == []
    assert seen["sentry"] is False


def test_with_tracing_on_the_handler_is_captured(xray_daemon: socket.socket):
    host, port = xray_daemon.getsockname()
    seen = _cold_start(
        {
            # What Lambda sets for an Active function (Powertools traces only in Lambda).
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "auth" / "authorizer"),
            "_X_AMZN_TRACE_ID": "Root=1-6742f0a1-3c2b1e0f9d8c7b6a5f4e3d2c;"
            "Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
        },
        Tracing="Active",
    )
    assert seen["answer"]["isAuthorized"] is True
    assert "aws_xray_sdk" in seen["xray"]
    # A datagram is a JSON header line, then the segment document.
    segments = []
    while not segments or segments[-1]["name"] != "## handler":
        datagram, _ = xray_daemon.recvfrom(65536)
        segments.append(json.loads(datagram.decode().split("\n", 1)[1]))
    handler = segments[-1]
    assert handler["trace_id"] == "1-6742f0a1-3c2b1e0f9d8c7b6a5f4e3d2c"
    assert handler["annotations"]["ColdStart"] is True
