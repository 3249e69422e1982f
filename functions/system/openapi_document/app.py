"""GET /openapi.json: the API's contract, the OpenAPI 3.1 document `scripts/openapi`
builds from every function's resolver (this folder ships it beside the handler)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

from admitone.http.resolver import http_handler, http_resolver

app = http_resolver()


@cache
def _document() -> str:
    return Path(__file__).with_name("openapi.json").read_text()


@app.get(
    "/openapi.json",
    responses={
        200: {"description": "The OpenAPI 3.1 document.", "content": {"application/json": {}}}
    },
)
def get_openapi_document() -> Response[Any]:
    return Response(200, "application/json", _document(), {"Cache-Control": "public, max-age=300"})


handler = http_handler(app)
