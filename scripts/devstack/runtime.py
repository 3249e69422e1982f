"""Local Lambda runtime: a pool of worker processes per function, each one an
execution environment with the function's own environment variables, timeout and
cold start. Concurrent invocations of one function run in separate processes, as
they do in Lambda.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scripts.devstack.template import ACCOUNT_ID, REGION, FunctionSpec, Stack

WORKER = Path(__file__).with_name("worker.py")
LogSink = Callable[[str, str], None]  # (function logical id, line)

# Variables a Lambda environment has besides the function's own.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class InvokeResult:
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0


class _Worker:
    def __init__(
        self, spec: FunctionSpec, layer_dir: Path, env: dict[str, str], sink: LogSink
    ) -> None:
        self.spec = spec
        read_fd, write_fd = os.pipe()
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
    ) -> None:
        self.spec = spec
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
                worker = _Worker(self.spec, self.layer_dir, self.env, self.sink)
                with self._lock:
                    self._all.append(worker)
                if not worker.ready or not worker.ready.get("ready"):
                    error = (worker.ready or {}).get("error") or {
                        "errorType": "Runtime.ExitError",
                        "errorMessage": "init failed",
                    }
                    worker.kill()
                    return InvokeResult(ok=False, error=error)
                self.sink(self.spec.logical_id, f"INIT Duration: {worker.ready['init_ms']} ms")
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

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.kill()


class Runtime:
    """Every function of a stack, invocable by logical id."""

    def __init__(
        self, stack: Stack, *, aws_endpoint: str | None, sink: LogSink, max_concurrency: int = 4
    ) -> None:
        self.stack = stack
        self.layer_dir = self._layer_dir(stack)
        self.sink = sink
        self.aws_endpoint = aws_endpoint
        self.max_concurrency = max_concurrency
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

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = {key: os.environ[key] for key in _PASSED_THROUGH if key in os.environ}
        env.update(
            {
                "TZ": ":UTC",
                "PYTHONUNBUFFERED": "1",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                "LAMBDA_TASK_ROOT": str(spec.code_uri),
                "_HANDLER": f"{spec.handler_module}.{spec.handler_name}",
            }
        )
        if self.aws_endpoint:
            env["AWS_ENDPOINT_URL"] = self.aws_endpoint
        env.update(spec.environment)
        return env

    def pool(self, function_id: str) -> FunctionPool:
        with self._lock:
            if function_id not in self._pools:
                spec = self.stack.function(function_id)
                self._pools[function_id] = FunctionPool(
                    spec, self.layer_dir, self.environment(spec), self.sink, self.max_concurrency
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

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
