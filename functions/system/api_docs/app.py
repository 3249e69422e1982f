"""GET /docs: Swagger UI over GET /openapi.json, working offline (no CDN)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from admitone.http.api_docs import swagger_page
from admitone.http.resolver import http_handler, http_resolver

app = http_resolver()


@app.get(
    "/docs",
    responses={200: {"description": "The Swagger UI page.", "content": {"text/html": {}}}},
)
def get_docs() -> Response[Any]:
    page = swagger_page("openapi.json", "admitone API")
    return Response(200, "text/html; charset=utf-8", page, {"Cache-Control": "public, max-age=300"})


handler = http_handler(app)
