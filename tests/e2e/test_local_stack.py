"""The acceptance of the foundation, over HTTP: the stack scripts/run starts is
healthy, says (to an admin) which dependency is down when one is, and Ctrl-C stops
everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from scripts.devstack.stack import ROOT
from tests.e2e.conftest import StartStack, free_ports
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e


def test_health_is_ok_then_503_naming_the_table_once_moto_stops(start_stack: StartStack):
    stack, logs = start_stack(ROOT / "template.yaml")
    response = requests.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}  # liveness: no dependency asked
    assert any(line.startswith("REPORT") for line in logs.of("HealthFunction"))
    login = requests.post(
        f"{stack.api_url}/auth/login",
        json={"email": "admin@admitone.local", "password": "admitone-dev-password"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    response = requests.get(f"{stack.api_url}/admin/health", headers=admin, timeout=10)
    assert response.status_code == 200, response.text
    assert {k: v["status"] for k, v in response.json()["checks"].items()} == {
        "table": "ok",
        "bus": "ok",
        "stripe": "ok",
    }

    moto = stack.processes[0]
    moto.terminate()
    moto.wait(timeout=10)
    response = requests.get(f"{stack.api_url}/admin/health", headers=admin, timeout=15)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["table"]["status"] == "fail"
    assert requests.get(f"{stack.api_url}/health", timeout=15).status_code == 200


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
        "ADMITONE_CHAIN_PORT": str(ports.chain),
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
        wait_for(
            lambda: (
                "local stack ready" in (tmp_path / "run.log").read_text()
                or process.poll() is not None
            ),
            what="the stack to say it is ready",
        )
        output = (tmp_path / "run.log").read_text()
        assert process.poll() is None, output
        for url in (
            f"http://127.0.0.1:{ports.moto}",
            f"http://127.0.0.1:{ports.stripe}",
            f"http://127.0.0.1:{ports.chain}",
            f"http://127.0.0.1:{ports.api}",
        ):
            assert url in output  # each part says where it listens
        assert requests.get(f"http://127.0.0.1:{ports.api}/health", timeout=10).status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        assert not any(_listening(p) for p in (ports.api, ports.moto, ports.stripe, ports.chain))
    finally:
        if process.poll() is None:
            process.kill()


def test_ctrl_c_in_a_terminal_stops_each_part_quietly_with_one_line_each(tmp_path):
    """A terminal's Ctrl-C signals the whole foreground process group, children included."""
    ports = free_ports()
    env = {
        **os.environ,
        "ADMITONE_API_PORT": str(ports.api),
        "ADMITONE_MOTO_PORT": str(ports.moto),
        "ADMITONE_STRIPE_PORT": str(ports.stripe),
        "ADMITONE_CHAIN_PORT": str(ports.chain),
    }
    output = tmp_path / "run.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.devstack", "run", "--no-schedules"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a shell gives a job
        )
    try:
        wait_for(
            lambda: _healthy(ports.api) or process.poll() is not None,
            what="the stack to answer /health",
        )
        assert process.poll() is None, output.read_text()
        # Workers of several functions are running (an HTTP route and the pollers' jobs).
        assert requests.get(f"http://127.0.0.1:{ports.api}/health", timeout=30).ok

        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    text = output.read_text()
    assert "Traceback" not in text, text
    assert "KeyboardInterrupt" not in text, text
    stopped = [
        line.split("|")[0].strip() for line in text.splitlines() if line.endswith("| stopped")
    ]
    assert sorted(stopped) == [
        "chain",
        "event sources",
        "gateway",
        "localstripe",
        "moto",
        "workers",
    ], text
    assert not any(_listening(p) for p in (ports.api, ports.moto, ports.stripe, ports.chain))


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    except requests.ConnectionError:
        return False
