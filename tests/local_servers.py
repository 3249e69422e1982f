"""Servers the tests start on free loopback ports (moto, localstripe), stopped after use."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from scripts.devstack.loopback import free_port
from scripts.devstack.stack import ROOT, wait_for_port

__all__ = ["free_port", "serving"]


@contextmanager
def serving(*python_args: str) -> Iterator[str]:
    """Run ``python <python_args> <port>`` until the block ends; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *python_args, str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)  # type: ignore[arg-type]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
