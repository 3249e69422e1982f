"""The acceptance of the foundation, over HTTP: the stack scripts/run starts is
healthy, says which dependency is down when one is, and Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from scripts.devstack.stack import ROOT
from tests.e2e.conftest import StartStack, free_ports

pytestmark = pytest.mark.e2e


def test_health_is_ok_then_503_naming_the_table_once_moto_stops(start_stack: StartStack):
    stack, logs = start_stack(ROOT / "template.yaml")
    response = requests.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert {k: v["status"] for k, v in response.json()["checks"].items()} == {
        "table": "ok",
        "bus": "ok",
        "stripe": "ok",
    }
    assert any(line.startswith("REPORT") for line in logs.of("HealthFunction"))

    moto = stack.processes[0]
    moto.terminate()
    moto.wait(timeout=10)
    response = requests.get(f"{stack.api_url}/health", timeout=15)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["table"]["status"] == "fail"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_run_command_serves_the_api_and_ctrl_c_stops_everything(tmp_path):
    ports = free_ports()
    env = {
        **os.environ,
        "ADMITONE_API_PORT": str(ports.api),
        "ADMITONE_MOTO_PORT": str(ports.moto),
        "ADMITONE_STRIPE_PORT": str(ports.stripe),
    }
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.devstack", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and "local stack ready" not in (tmp_path / "run.log").read_text()
        ):
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        output = (tmp_path / "run.log").read_text()
        for url in (
            f"http://127.0.0.1:{ports.moto}",
            f"http://127.0.0.1:{ports.stripe}",
            f"http://127.0.0.1:{ports.api}",
        ):
            assert url in output  # each part says where it listens
        assert requests.get(f"http://127.0.0.1:{ports.api}/health", timeout=10).status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert not any(_listening(p) for p in (ports.api, ports.moto, ports.stripe))
    finally:
        if process.poll() is None:
            process.kill()
