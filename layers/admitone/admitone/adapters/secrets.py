"""Secrets Manager values through Powertools Parameters: cached per container, fetched
with the shared short-timeout client, and never quoted in an error."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable


class SecretMalformed(RuntimeError):
    """A secret exists but does not hold a JSON object (a deployment fault)."""


@cache
def secrets_provider() -> SecretsProvider:
    return SecretsProvider(boto3_client=client("secretsmanager"))


def secret_json(secret_id: str) -> Mapping[str, Any]:
    """The JSON object stored in ``secret_id``, re-read after ``secrets_max_age_seconds``.

    Raises ``DependencyUnavailable`` when Secrets Manager cannot be reached and
    ``SecretMalformed`` when the value is not a JSON object. Within ``max_age`` the
    very same object is returned, so callers may cache what they derive from it.
    """
    try:
        value = secrets_provider().get(
            secret_id, transform="json", max_age=settings().secrets_max_age_seconds
        )
    except TransformParameterError:
        # from None: the JSON error could carry a fragment of the secret.
        raise SecretMalformed(f"secret {secret_id!r} is not JSON") from None
    except GetParameterError as exc:
        raise DependencyUnavailable("A secret the request needs is unavailable.") from exc
    if not isinstance(value, Mapping):
        raise SecretMalformed(f"secret {secret_id!r} is not a JSON object")
    return value
