"""One factory for boto3 clients: created lazily, once per container, short timeouts.

The endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable (the local stack
sets it to moto); nothing here knows whether it runs locally.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# API paths answer within a Lambda timeout of a few seconds: fail fast and let the
# client (or the queue) retry, rather than hang for botocore's 60 s defaults.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"max_attempts": 3, "mode": "standard"},
)


@cache
def client(service_name: str) -> Any:
    """The container's shared client for ``service_name`` (typed as Any: no stubs shipped)."""
    return boto3.session.Session().client(service_name, config=CLIENT_CONFIG)
