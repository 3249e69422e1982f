"""The credentials the API accepts, as OpenAPI security schemes (openapi.json)."""

from __future__ import annotations

from typing import Any

from admitone.http.rate_limiting import DEVICE_HEADER

ACCESS_SCHEME = "accessToken"
DEVICE_SCHEME = "deviceToken"

SECURITY_SCHEMES: dict[str, Any] = {
    ACCESS_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /auth/login (EdDSA, 15 minutes).",
    },
    DEVICE_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": DEVICE_HEADER,
        "description": "A paired gate device's token from POST /devices/pair (shown once).",
    },
}

# A route's own requirement, for its decorator: ``security=DEVICE_ONLY``.
# ACCESS_TOKEN is for a route outside the authorizer that checks the token itself.
ACCESS_TOKEN: list[dict[str, list[str]]] = [{ACCESS_SCHEME: []}]
DEVICE_ONLY: list[dict[str, list[str]]] = [{DEVICE_SCHEME: []}]
SCANNER_ON_DEVICE: list[dict[str, list[str]]] = [{ACCESS_SCHEME: [], DEVICE_SCHEME: []}]
