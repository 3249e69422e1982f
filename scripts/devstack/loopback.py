"""Loopback helpers for tools that talk to the local stack: a free port, and HTTP clients
that connect from a chosen loopback address (127.0.0.0/8 is all loopback), so that the
gateway sees distinct clients exactly as API Gateway would."""

from __future__ import annotations

import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session
