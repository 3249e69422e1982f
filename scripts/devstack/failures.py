"""How the local tools fail: one sentence on stderr and a non-zero exit, never a traceback.

A tool raises ``ToolFailure`` with the sentence a user needs (what is wrong and what to
change); ``main`` prints it and exits with its status (2 for a wrong invocation or
setup, 1 for a failed run). The probes here tell a taken port and a stack that is not
running apart before anything is started or written.
"""

from __future__ import annotations

import difflib
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import botocore.exceptions
import requests

USAGE = 2  # the invocation or the machine's setup is wrong
FAILED = 1  # the run itself went wrong

# Credentials moto accepts; set for the local stack so that no ~/.aws is needed.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class ToolFailure(Exception):
    """What went wrong, as one sentence a user can act on."""

    def __init__(self, sentence: str, status: int = USAGE) -> None:
        super().__init__(" ".join(sentence.split()))
        self.status = status


def main(tool: str, run: Callable[[], int]) -> int:
    """Run a tool's body; a failure becomes one line on stderr and its exit status."""
    try:
        return run()
    except ToolFailure as failure:
        sentence, status = str(failure), failure.status
    except (requests.ConnectionError, botocore.exceptions.EndpointConnectionError) as lost:
        # The probes passed, so the stack went away while the tool talked to it.
        sentence, status = f"lost the connection to the local stack ({_first_line(lost)})", FAILED
    except botocore.exceptions.NoCredentialsError:
        sentence = (
            "no AWS credentials for a deployed stack: run `aws configure` or set AWS_PROFILE "
            "(the local stack needs none)"
        )
        status = USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_gone()
    print(f"{tool}: {sentence}", file=sys.stderr, flush=True)
    return status


def reader_gone() -> int:
    """What stdout was piped into stopped reading (``scripts/mail | head -1``): not a
    failure. The rest of the output goes nowhere, so the interpreter's own last flush
    does not fail again on its way out."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def port_setting(variable: str, default: int) -> int:
    """The port ``variable`` names (``default`` when unset)."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ToolFailure(f"{variable} is {raw!r}, not a port number (1-65535)")
    return int(raw)


def taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could not bind ``port`` (bound without touching whoever holds it)."""
    with socket.socket() as probe:
        # As the stack's servers bind: a port left in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def refuse_taken_ports(ports: Iterable[tuple[str, int]]) -> None:
    """Fail, naming each variable to change, when any (variable, port) is taken."""
    busy = [(variable, port) for variable, port in ports if taken(port)]
    if not busy:
        return
    named = ", ".join(f"{port} ({variable})" for variable, port in busy)
    variables = " and ".join(variable for variable, _ in busy)
    raise ToolFailure(
        f"port {named} is already in use by another program (a running stack?); "
        f"stop it or set {variables} to a free port"
        if len(busy) == 1
        else f"ports {named} are already in use by another program (a running stack?); "
        f"stop it or set {variables} to free ports"
    )


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, port)) == 0


def require_stack(parts: Iterable[tuple[str, str, int]]) -> None:
    """Fail unless something listens on each (what, variable, port) of the local stack."""
    for what, variable, port in parts:
        if not listening(port):
            raise ToolFailure(
                f"nothing answers at http://127.0.0.1:{port} ({what}): start the stack with "
                f"scripts/run, or set {variable} to the port it runs on"
            )


def use_local_credentials() -> None:
    """Dummy credentials for the local stack (moto takes any), unless some are set."""
    if "AWS_ACCESS_KEY_ID" not in os.environ:
        os.environ.pop("AWS_PROFILE", None)
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)


def did_you_mean(kind: str, name: str, known: Iterable[str]) -> ToolFailure:
    """An unknown name, with the closest known ones."""
    choices = sorted(known)
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else f"one of: {', '.join(choices)}"
        if len(choices) <= 12
        else f"{len(choices)} exist (see template.yaml)"
    )
    return ToolFailure(f"no {kind} {name!r}; {hint}")


def read_json_file(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ToolFailure(f"{what} {path} does not exist") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise ToolFailure(f"{what} {path} cannot be read ({type(error).__name__})") from None
    except json.JSONDecodeError as error:
        raise ToolFailure(
            f"{what} {path} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from None
