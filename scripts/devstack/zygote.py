"""Execution environments forked from one interpreter that imported the functions'
third-party modules once.

A local stack under test starts hundreds of execution environments, and each one
importing boto3, botocore, pydantic, Powertools, cryptography and friends from nothing
spends about 1.3 s of CPU before the function's own code runs (85 % of its cold start;
the test tiers spent most of their CPU there). This process imports those modules once,
then forks a child per environment: the child takes its own stdin, stdout, stderr and
result pipe, replaces the environment with the function's, and serves exactly as
worker.py does, importing the layer (admitone) and the function from nothing. Nothing
of a function's state exists before the fork, so no two environments share any.

Run as a script by runtime.py, never imported: ``zygote.py <socket fd> <module>...``.
Each request on the socket (SOCK_SEQPACKET: one message, one request) is a JSON object
with the four descriptors attached; the reply is the child's pid. Children are reaped
by the kernel (SIGCHLD ignored); the runtime watches each through a pidfd. The zygote
ends when the runtime closes its end of the socket. Standard library only.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

_WORKER = Path(__file__).with_name("worker.py")
_MAX_REQUEST = 1 << 20  # a function's environment is a few KB
_DESCRIPTORS = 4  # stdin, stdout, stderr, results


def _load_worker() -> ModuleType:
    # Under a private name: a function's own `import worker` must not find this one.
    spec = importlib.util.spec_from_file_location("_devstack_worker", _WORKER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _preload(modules: list[str]) -> None:
    for name in modules:
        # A name that is no module (``from a import function``) or fails to import is
        # skipped: the child imports it again, and reports what fails.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _become_environment(
    request: dict[str, object], descriptors: list[int], worker: ModuleType
) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Out of the terminal's process group, as runtime.py starts a worker.
    os.setpgid(0, 0)
    stdin, stdout, stderr, results = descriptors
    for fd, standard in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, standard)
        os.close(fd)
    environment = request["env"]
    assert isinstance(environment, dict)
    os.environ.clear()
    os.environ.update(environment)
    time.tzset()
    worker.serve(
        str(request["code_uri"]),
        str(request["layer_dir"]),
        str(request["module"]),
        str(request["handler"]),
        results,
    )


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    worker = _load_worker()
    _preload(sys.argv[2:])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        message, descriptors, _, _ = socket.recv_fds(channel, _MAX_REQUEST, _DESCRIPTORS)
        if not message:
            return  # the runtime closed the socket
        request = json.loads(message)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            channel.close()
            status = 0
            try:
                _become_environment(request, descriptors, worker)
            except BaseException:  # a child must never return into the zygote's loop
                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        for fd in descriptors:
            os.close(fd)
        channel.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    main()
