"""GET /.well-known/jwks.json: the public keys of access tokens and ticket QR tokens."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response

from admitone.adapters.signing_keys import load_keyset
from admitone.http.resolver import http_handler, http_resolver

app = http_resolver()


@app.get("/.well-known/jwks.json")
def get_jwks() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/jwk-set+json",
        body=json.dumps(load_keyset().public_jwks()),
        headers={"Cache-Control": "public, max-age=300"},
    )


handler = http_handler(app)
