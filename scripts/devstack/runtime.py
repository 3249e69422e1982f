"""Local Lambda runtime: a pool of worker processes per function, each one an
execution environment with the function's own environment variables, timeout and
cold start. Concurrent invocations of one function run in separate processes, as
they do in Lambda.

A runtime made with ``preload=True`` forks its environments from a zygote (zygote.py)
that imported the functions' third-party modules once: each environment still imports
the layer and the function from nothing, with its own environment, but skips the
~1.3 s of CPU that boto3, pydantic and Powertools cost. The test tiers use it; the
cold starts `scripts/run` shows are the real ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from scripts.devstack.template import ACCOUNT_ID, REGION, FunctionSpec, Stack

WORKER = Path(__file__).with_name("worker.py")
ZYGOTE = Path(__file__).with_name("zygote.py")
LogSink = Callable[[str, str], None]  # (function logical id, line)

# Variables a Lambda environment has besides the function's own.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class InvokeResult:
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0


class _Process(Protocol):
    """What a worker needs of its process: a Popen, or a child of the zygote."""

    pid: int
    stdin: IO[str] | None
    stdout: IO[str] | None
    stderr: IO[str] | None

    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def wait(self) -> int | None: ...


class _ForkedProcess:
    """A child of the zygote, watched through a pidfd: the zygote, not this process, is
    its parent (the kernel reaps it), and a pidfd cannot name a recycled pid."""

    ENDED = -1  # its exit status went to nobody

    def __init__(self, pid: int, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> None:
        self.pid = pid
        self.stdin: IO[str] | None = stdin
        self.stdout: IO[str] | None = stdout
        self.stderr: IO[str] | None = stderr
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # ended (its import failed) and reaped already
            self._pidfd = None
            self.returncode = self.ENDED

    def _ended(self, timeout: float | None) -> bool:
        if self.returncode is None:
            assert self._pidfd is not None
            readable, _, _ = select.select([self._pidfd], [], [], timeout)
            if readable:
                os.close(self._pidfd)
                self._pidfd = None
                self.returncode = self.ENDED
        return self.returncode is not None

    def poll(self) -> int | None:
        self._ended(0)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None and self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def wait(self) -> int | None:
        self._ended(None)
        return self.returncode


class _Zygote:
    """The process execution environments are forked from (zygote.py)."""

    def __init__(self, env: dict[str, str], modules: list[str]) -> None:
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, str(ZYGOTE), str(theirs.fileno()), *modules],
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            process_group=0,
        )
        theirs.close()
        self._lock = threading.Lock()

    def fork(
        self, spec: FunctionSpec, layer_dir: Path, env: dict[str, str], result_fd: int
    ) -> _ForkedProcess:
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        request = {
            "code_uri": str(spec.code_uri),
            "layer_dir": str(layer_dir),
            "module": spec.handler_module,
            "handler": spec.handler_name,
            "env": env,
        }
        try:
            with self._lock:
                socket.send_fds(
                    self._channel,
                    [json.dumps(request).encode()],
                    [stdin_read, stdout_write, stderr_write, result_fd],
                )
                reply = self._channel.recv(256)
        finally:
            for fd in (stdin_read, stdout_write, stderr_write):
                os.close(fd)
        if not reply:
            raise RuntimeError(f"the zygote ended (exit status {self.process.poll()})")
        return _ForkedProcess(
            json.loads(reply)["pid"],
            stdin=os.fdopen(stdin_write, "w", buffering=1),
            stdout=os.fdopen(stdout_read),
            stderr=os.fdopen(stderr_read),
        )

    def close(self) -> None:
        self._channel.close()  # the zygote ends at the end of its socket
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_TOP_LEVEL_IMPORT = re.compile(
    r"^(?:from\s+([\w.]+)\s+import\s+\(?\s*(\w+)|import\s+([\w.]+))", re.M
)


def third_party_imports(folders: list[Path]) -> list[str]:
    """Modules the code in these folders imports at module level (its cold start), other
    than its own: what a zygote may import before forking. Indented (lazy) imports stay
    lazy. For ``from a.b import c`` both ``a.b`` and ``a.b.c`` are named (c may be a
    module); the zygote skips names that are not modules."""
    folders = [folder for folder in folders if folder.is_dir()]
    own = {child.stem for folder in folders for child in folder.iterdir()}
    found: dict[str, None] = {}
    for folder in folders:
        for source in sorted(folder.rglob("*.py")):
            for package, name, module in _TOP_LEVEL_IMPORT.findall(source.read_text()):
                for dotted in (f"{package}.{name}", package) if package else (module,):
                    if dotted.split(".")[0] not in own | {"__future__"}:
                        found.setdefault(dotted)
    return list(found)


class _Worker:
    def __init__(
        self,
        spec: FunctionSpec,
        layer_dir: Path,
        env: dict[str, str],
        sink: LogSink,
        zygote: _Zygote | None = None,
    ) -> None:
        self.spec = spec
        read_fd, write_fd = os.pipe()
        self.process: _Process
        if zygote is not None:
            self.process = zygote.fork(spec, layer_dir, env, write_fd)
        else:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    str(spec.code_uri),
                    str(layer_dir),
                    spec.handler_module,
                    spec.handler_name,
                    str(write_fd),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                pass_fds=(write_fd,),
                text=True,
                bufsize=1,
                # Out of the terminal's process group: Ctrl-C there must not interrupt an
                # invocation (the stack stops its workers itself). A worker whose parent dies
                # still ends, at the end of its stdin.
                process_group=0,
            )
        os.close(write_fd)
        self.results: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._results_file = os.fdopen(read_fd, "r")
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._relay, args=(stream, sink), daemon=True).start()
        threading.Thread(target=self._read_results, daemon=True).start()
        self.ready = self.results.get()  # the import result (the cold start)

    def _relay(self, stream: IO[str] | None, sink: LogSink) -> None:
        assert stream is not None
        for line in stream:
            sink(self.spec.logical_id, line.rstrip("\n"))

    def _read_results(self) -> None:
        for line in self._results_file:
            self.results.put(json.loads(line))
        self.results.put(None)  # the process ended

    def invoke(self, event: Any, request_id: str, function_arn: str) -> InvokeResult:
        started = time.perf_counter()
        deadline = time.time() + self.spec.timeout
        request = {
            "event": event,
            "request_id": request_id,
            "function_arn": function_arn,
            "deadline": deadline,
        }
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            reply = self.results.get(timeout=self.spec.timeout)
        except queue.Empty:
            self.kill()
            return InvokeResult(
                ok=False,
                error={
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.spec.timeout:.2f} seconds",
                },
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        except BrokenPipeError:
            reply = None
        elapsed = (time.perf_counter() - started) * 1000
        if reply is None:
            self.kill()
            return InvokeResult(
                ok=False,
                error={"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"},
                duration_ms=elapsed,
            )
        if reply["ok"]:
            return InvokeResult(ok=True, payload=reply["result"], duration_ms=elapsed)
        return InvokeResult(ok=False, error=reply["error"], duration_ms=elapsed)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()


class FunctionPool:
    """Execution environments of one function: reused when idle, added on demand."""

    def __init__(
        self,
        spec: FunctionSpec,
        layer_dir: Path,
        env: dict[str, str],
        sink: LogSink,
        max_concurrency: int,
        *,
        zygote: _Zygote | None = None,
    ) -> None:
        self.spec = spec
        self.zygote = zygote
        self.layer_dir = layer_dir
        self.env = env
        self.sink = sink
        self.function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.function_name}"
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._all: list[_Worker] = []

    def invoke(self, event: Any) -> InvokeResult:
        request_id = str(uuid.uuid4())
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None or not worker.alive:
                worker = _Worker(self.spec, self.layer_dir, self.env, self.sink, self.zygote)
                with self._lock:
                    self._all.append(worker)
                if not worker.ready or not worker.ready.get("ready"):
                    error = (worker.ready or {}).get("error") or {
                        "errorType": "Runtime.ExitError",
                        "errorMessage": "init failed",
                    }
                    worker.kill()
                    return InvokeResult(ok=False, error=error)
                preloaded = " (third-party modules preloaded)" if self.zygote else ""
                self.sink(
                    self.spec.logical_id,
                    f"INIT Duration: {worker.ready['init_ms']} ms{preloaded}",
                )
            result = worker.invoke(event, request_id, self.function_arn)
            status = "" if result.ok else f" Error: {result.error and result.error['errorType']}"
            self.sink(
                self.spec.logical_id,
                f"REPORT RequestId: {request_id} Duration: {result.duration_ms:.1f} ms{status}",
            )
            if worker.alive:
                with self._lock:
                    self._idle.append(worker)
            return result

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._all if worker.alive]

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.kill()


class Runtime:
    """Every function of a stack, invocable by logical id."""

    def __init__(
        self,
        stack: Stack,
        *,
        aws_endpoint: str | None,
        sink: LogSink,
        max_concurrency: int = 4,
        preload: bool = False,
    ) -> None:
        self.stack = stack
        self.layer_dir = self._layer_dir(stack)
        self.sink = sink
        self.aws_endpoint = aws_endpoint
        self.max_concurrency = max_concurrency
        self.preload = preload
        self._zygote: _Zygote | None = None
        self._pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()
        self._closed = False

    @staticmethod
    def _layer_dir(stack: Stack) -> Path:
        layers = stack.resources_of_type("AWS::Serverless::LayerVersion")
        if len(layers) != 1:
            return stack.root / "layers" / "admitone"
        (layer,) = layers.values()
        return stack.root / str(layer["Properties"]["ContentUri"])

    def _shared_environment(self) -> dict[str, str]:
        """What every function's environment holds (and the zygote's)."""
        env = {key: os.environ[key] for key in _PASSED_THROUGH if key in os.environ}
        env.update(
            {
                "TZ": ":UTC",
                "PYTHONUNBUFFERED": "1",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            }
        )
        if self.aws_endpoint:
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint
        return env

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = self._shared_environment()
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
                "LAMBDA_TASK_ROOT": str(spec.code_uri),
                "_HANDLER": f"{spec.handler_module}.{spec.handler_name}",
            }
        )
        env.update(spec.environment)
        return env

    def pool(self, function_id: str) -> FunctionPool:
        with self._lock:
            if function_id not in self._pools:
                spec = self.stack.function(function_id)
                if self.preload and self._zygote is None:
                    self._zygote = self._start_zygote()
                self._pools[function_id] = FunctionPool(
                    spec,
                    self.layer_dir,
                    self.environment(spec),
                    self.sink,
                    self.max_concurrency,
                    zygote=self._zygote,
                )
            return self._pools[function_id]

    def invoke(self, function_id: str, event: Any) -> InvokeResult:
        if self._closed:
            # A poller or request racing the shutdown must not start a new worker.
            return InvokeResult(
                ok=False,
                error={"errorType": "Runtime.Stopped", "errorMessage": "the stack is stopping"},
            )
        return self.pool(function_id).invoke(event)

    def _start_zygote(self) -> _Zygote:
        functions = self.stack.resources_of_type("AWS::Serverless::Function")
        folders = [self.layer_dir, *(self.stack.function(id).code_uri for id in sorted(functions))]
        return _Zygote(self._shared_environment(), third_party_imports(folders))

    def worker_pids(self, function_id: str) -> list[int]:
        """The processes of a function's live execution environments (to kill one in a test)."""
        with self._lock:
            pool = self._pools.get(function_id)
        return pool.worker_pids() if pool else []

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
            zygote, self._zygote = self._zygote, None
        for pool in pools:
            pool.close()
        if zygote is not None:
            zygote.close()
