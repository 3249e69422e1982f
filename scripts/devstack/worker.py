"""One Lambda execution environment: imports a handler the way the Python runtime
does (code folder first, then the layer) and serves invocations one at a time.

Run as a script by runtime.py, or served in a child the zygote (zygote.py) forked;
never imported by the stack itself. Requests arrive as JSON lines on stdin; results
leave as JSON lines on the file descriptor named in argv, so the handler's own
stdout and stderr stay free for its logs. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of the runtime's context object."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = request["function_arn"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = float(request["deadline"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def serve(
    code_uri: str, layer_dir: str, module_name: str, handler_name: str, result_fd: int
) -> None:
    """Import the handler, say whether that worked, then answer invocations until stdin ends."""
    # The runtime's search path: /var/task (the function), then /opt/python (the
    # layer). This script's own folder is not on it.
    sys.path[0:1] = [code_uri, layer_dir]
    results = os.fdopen(result_fd, "w", buffering=1)
    started = time.perf_counter()
    handler = None
    try:
        handler = getattr(importlib.import_module(module_name), handler_name)
    except BaseException as exc:
        traceback.print_exc()
        results.write(
            json.dumps({"ready": False, "error": _error(exc, "Runtime.ImportModuleError")}) + "\n"
        )
        return
    init_ms = round((time.perf_counter() - started) * 1000, 1)
    results.write(json.dumps({"ready": True, "init_ms": init_ms}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request)
        try:
            output = handler(request["event"], context)
            encoded = json.dumps({"ok": True, "result": output})
        except TypeError as exc:
            encoded = json.dumps({"ok": False, "error": _error(exc, "Runtime.MarshalError")})
        except BaseException as exc:
            traceback.print_exc()
            encoded = json.dumps({"ok": False, "error": _error(exc)})
        sys.stdout.flush()
        sys.stderr.flush()
        results.write(encoded + "\n")


def main() -> None:
    code_uri, layer_dir, module_name, handler_name, result_fd = sys.argv[1:6]
    serve(code_uri, layer_dir, module_name, handler_name, int(result_fd))


if __name__ == "__main__":
    main()
