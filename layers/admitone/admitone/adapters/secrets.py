"""Secrets Manager values through Powertools Parameters, cached per container."""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.utilities import parameters

from admitone.config import settings


def secret_json(secret_id: str) -> dict[str, Any]:
    """The JSON object stored in ``secret_id``; re-read after ``secrets_max_age_seconds``."""
    value = parameters.get_secret(
        secret_id, transform="json", max_age=settings().secrets_max_age_seconds
    )
    if not isinstance(value, dict):
        raise TypeError(f"secret {secret_id!r} does not hold a JSON object")
    return cast(dict[str, Any], value)
