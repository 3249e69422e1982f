"""GET /.well-known/jwks.json: the public keys of access tokens and ticket QR tokens."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response

from admitone.adapters.signing_keys import load_keyset
from admitone.http.resolver import http_handler, http_resolver

JWK_SET_SCHEMA = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
}

app = http_resolver()


@app.get(
    "/.well-known/jwks.json",
    responses={
        200: {
            "description": "The key set (RFC 7517).",
            "content": {"application/jwk-set+json": {"schema": JWK_SET_SCHEMA}},
        }
    },
)
def get_jwks() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/jwk-set+json",
        body=json.dumps(load_keyset().public_jwks()),
        headers={"Cache-Control": "public, max-age=300"},
    )


handler = http_handler(app)
