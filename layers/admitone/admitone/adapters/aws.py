"""One factory for boto3 clients: created lazily, once per container, short timeouts.

The endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable (the local stack
sets it to moto); nothing here knows whether it runs locally.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader, create_loader

# API paths answer within a Lambda timeout of a few seconds: fail fast and let the
# client (or the queue) retry, rather than hang for botocore's 60 s defaults.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"max_attempts": 3, "mode": "standard"},
)


@cache
def _model_loader() -> Loader:
    # Parsing botocore's JSON models (endpoints, partitions, each service) is most of
    # what creating a client costs; one loader per process parses each file once.
    return create_loader()


@cache
def session() -> boto3.session.Session:
    """The container's one session, shared by its clients: creating a botocore session
    registers every built-in event handler, which costs more CPU than the client itself
    (about 13 ms per client with a session each, 6 ms with one shared)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _model_loader())
    return boto3.session.Session(botocore_session=core)


# A session is not thread-safe while it creates clients; the clients themselves are.
_creating = threading.Lock()


@cache
def client(service_name: str) -> Any:
    """The container's shared client for ``service_name`` (typed as Any: no stubs shipped)."""
    with _creating:
        return session().client(service_name, config=CLIENT_CONFIG)
