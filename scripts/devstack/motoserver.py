"""moto in server mode with request handling serialized, on loopback only.

moto does not serialize concurrent writes (a conditional decrement oversells
under threads); real DynamoDB is atomic per item. One lock around each request,
held until the response body is complete, restores that guarantee.
Run: python -m scripts.devstack.motoserver --port 4566
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from scripts.devstack import moto_patches

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialized(app: WsgiApp) -> WsgiApp:
    lock = threading.Lock()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured.update(status=status, headers=headers, exc_info=exc_info)

        with lock:
            chunks = app(environ, capture)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        start_response(captured["status"], captured["headers"], captured["exc_info"])
        return [body]

    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args()
    # The terminal's Ctrl-C reaches this process too; the stack that started it stops it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    moto_patches.install()
    app = serialized(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        "127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    print(f"moto listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
