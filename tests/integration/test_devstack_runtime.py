"""Execution environments forked from the zygote behave as ones started from nothing:
the same answer, the function's own environment, one process each, stopped at the
timeout (runtime.py, zygote.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.devstack.runtime import Runtime
from scripts.devstack.template import Stack

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "devstack"


def request(path: str) -> dict[str, object]:
    return {"rawPath": path, "requestContext": {"http": {"method": "GET"}}}


@pytest.fixture(params=["from nothing", "forked from the zygote"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    stack = Stack.load(FIXTURE, FIXTURE / "template.yaml")
    runtime = Runtime(
        stack,
        aws_endpoint=None,
        sink=lambda name, line: None,
        preload=request.param == "forked from the zygote",
    )
    yield runtime
    runtime.close()


def test_a_function_answers_with_its_own_environment(runtime: Runtime):
    result = runtime.invoke("Echo", request("/open/env"))

    assert result.ok
    assert result.payload["headers"]["x-greeting"] == "hello from us-east-1"
    assert 0 < json.loads(result.payload["body"])["remaining_ms"] <= 1000


def test_concurrent_invocations_run_in_processes_of_their_own(runtime: Runtime):
    pool = runtime.pool("Echo")
    with ThreadPoolExecutor(3) as threads:
        # Each takes 3 s (its timeout is 1 s: all three are stopped), so none is reused.
        results = list(threads.map(lambda _: pool.invoke(request("/open/slow")), range(3)))

    assert [r.error and r.error["errorType"] for r in results] == ["Sandbox.Timedout"] * 3
    assert runtime.worker_pids("Echo") == []  # every one was killed


def test_each_environment_is_its_own_process_outside_the_callers_process_group(runtime: Runtime):
    runtime.invoke("Echo", request("/open/env"))
    runtime.invoke("Consumer", {"Records": []})

    (echo,) = runtime.worker_pids("Echo")
    (consumer,) = runtime.worker_pids("Consumer")
    assert echo != consumer
    assert os.getpid() not in (echo, consumer)
    assert os.getpgid(echo) == echo  # Ctrl-C in a terminal does not reach it
