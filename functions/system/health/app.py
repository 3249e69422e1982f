"""GET /health: 200 when the table, the bus and Stripe all answer, else 503 naming them."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.http.resolver import http_resolver
from admitone.observability import logger
from admitone.services import health

app = http_resolver()


@app.get("/health")
def get_health() -> Response[str]:
    report = health.check_dependencies()
    return Response(
        status_code=200 if report.ok else 503,
        content_type="application/json",
        body=report.model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
