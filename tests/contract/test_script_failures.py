"""Every local tool says what is wrong in one sentence on stderr and exits non-zero, never
with a traceback: no stack running, a port taken, a missing or malformed file, an unknown
name, a machine without ~/.aws. Each script runs as a user runs it, as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.devstack.stack import ROOT, Ports
from tests.local_servers import free_port, serving

AWS_SETTINGS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)


@dataclass(frozen=True)
class Outcome:
    status: int
    stdout: str
    stderr: str

    @property
    def sentence(self) -> str:
        """The one line the script wrote on stderr (fails unless there is exactly one)."""
        assert "Traceback" not in self.stderr + self.stdout, self.stderr
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


@pytest.fixture
def ports() -> Ports:
    """Free ports: nothing runs there."""
    return Ports(api=free_port(), moto=free_port(), stripe=free_port(), chain=free_port())


RunScript = Callable[..., Outcome]


@pytest.fixture
def run_script(tmp_path: Path, ports: Ports) -> RunScript:
    """Run ``scripts/<name>`` with no ~/.aws, no AWS settings and the chosen ports."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str, **variables: str) -> Outcome:
        env = {k: v for k, v in os.environ.items() if k not in AWS_SETTINGS}
        env.update(
            ADMITONE_API_PORT=str(ports.api),
            ADMITONE_MOTO_PORT=str(ports.moto),
            ADMITONE_STRIPE_PORT=str(ports.stripe),
            ADMITONE_CHAIN_PORT=str(ports.chain),
        )
        env.update(HOME=str(home), **variables)
        done = subprocess.run(
            [str(ROOT / "scripts" / args[0]), *args[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    return run


@pytest.mark.parametrize(
    "command",
    [
        ["invoke", "HealthFunction"],
        ["dlq", "list"],
        ["dlq", "show", "NotifierDLQ"],
        ["ledger-check"],
    ],
)
def test_with_no_stack_running_a_tool_says_to_start_it(
    run_script: RunScript, ports: Ports, command: list[str]
):
    outcome = run_script(*command)

    assert outcome.status == 2
    assert f"nothing answers at http://127.0.0.1:{ports.moto} (moto)" in outcome.sentence
    assert "set ADMITONE_MOTO_PORT to the port it runs on" in outcome.sentence
    assert "scripts/run" in outcome.sentence


@pytest.mark.parametrize(
    ("script", "part", "variable"),
    [
        ("demo", "api", "ADMITONE_API_PORT"),
        ("seed", "api", "ADMITONE_API_PORT"),
        ("mail", "moto", "ADMITONE_MOTO_PORT"),
    ],
)
def test_a_tool_of_the_api_or_the_mail_says_so_on_the_configured_port(
    run_script: RunScript, ports: Ports, script: str, part: str, variable: str
):
    outcome = run_script(script)

    assert outcome.status == 2
    assert f"nothing answers at http://127.0.0.1:{getattr(ports, part)}" in outcome.sentence.lower()
    assert variable in outcome.sentence


@pytest.fixture
def held_port() -> Iterator[tuple[int, socket.socket]]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        holder.setblocking(False)
        yield holder.getsockname()[1], holder


@pytest.mark.parametrize(
    "variable",
    ["ADMITONE_API_PORT", "ADMITONE_MOTO_PORT", "ADMITONE_STRIPE_PORT", "ADMITONE_CHAIN_PORT"],
)
def test_run_refuses_to_start_on_a_taken_port_and_leaves_its_holder_alone(
    run_script: RunScript, held_port: tuple[int, socket.socket], variable: str
):
    port, holder = held_port

    outcome = run_script("run", **{variable: str(port)})

    assert outcome.status == 2
    assert f"port {port} ({variable}) is already in use" in outcome.sentence
    assert f"set {variable} to a free port" in outcome.sentence
    assert "listening" not in outcome.stdout
    with pytest.raises(BlockingIOError):  # nobody connected to the other program
        holder.accept()


def test_invoke_names_a_missing_event_file(run_script: RunScript, tmp_path: Path):
    outcome = run_script("invoke", "HealthFunction", str(tmp_path / "nope.json"))

    assert outcome.status == 2
    assert outcome.sentence.endswith(f"the event file {tmp_path / 'nope.json'} does not exist")


def test_invoke_names_a_malformed_event_file(run_script: RunScript, tmp_path: Path):
    event = tmp_path / "event.json"
    event.write_text('{"body": ')

    outcome = run_script("invoke", "HealthFunction", str(event))

    assert outcome.status == 2
    assert f"the event file {event} is not valid JSON (line 1" in outcome.sentence


@pytest.mark.parametrize(
    ("command", "suggestion"),
    [
        (["invoke", "HelthFunction"], "did you mean HealthFunction"),
        (["dlq", "show", "NotiferDLQ"], "did you mean NotifierDLQ"),
        (["dlq", "redrive", "NotiferDLQ"], "did you mean NotifierDLQ"),
    ],
)
def test_an_unknown_name_gets_a_did_you_mean(
    run_script: RunScript, command: list[str], suggestion: str
):
    outcome = run_script(*command)

    assert outcome.status == 2
    assert f"no {'function' if command[0] == 'invoke' else 'DLQ'} '{command[-1]}'" in (
        outcome.sentence
    )
    assert suggestion in outcome.sentence


def coldstart(*arguments: str) -> Outcome:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "scripts.bench.coldstart", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def test_coldstart_names_an_unknown_function():
    outcome = coldstart("NopeFunction")
    assert outcome.status == 2
    assert "no function 'NopeFunction'" in outcome.sentence


def test_coldstart_against_a_commit_that_is_not_there_says_so():
    outcome = coldstart("--against", "no-such-commit", "HealthFunction")
    assert outcome.status != 0
    assert "--against no-such-commit: git cannot export it" in outcome.sentence


def test_a_port_variable_that_is_no_port_is_named(run_script: RunScript):
    outcome = run_script("invoke", "HealthFunction", ADMITONE_MOTO_PORT="moto")

    assert outcome.status == 2
    assert outcome.sentence.endswith("ADMITONE_MOTO_PORT is 'moto', not a port number (1-65535)")


@pytest.mark.parametrize("script", ["run", "invoke", "dlq", "ledger-check", "demo", "mail", "seed"])
def test_help_lists_the_port_variables(run_script: RunScript, script: str):
    outcome = run_script(script, "--help")

    assert outcome.status == 0
    text = " ".join(outcome.stdout.split())
    for variable in (
        "ADMITONE_API_PORT",
        "ADMITONE_MOTO_PORT",
        "ADMITONE_STRIPE_PORT",
        "ADMITONE_CHAIN_PORT",
    ):
        assert variable in text


def test_dlq_needs_no_aws_account_against_the_local_moto(run_script: RunScript):
    # moto alone (the stack's own server) is what scripts/dlq talks to; HOME has no ~/.aws.
    with serving("-m", "scripts.devstack.motoserver", "--port") as moto_url:
        outcome = run_script("dlq", "list", ADMITONE_MOTO_PORT=moto_url.rsplit(":", 1)[1])

    assert outcome.status == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "NotifierDLQ" in outcome.stdout
