"""GET /health: 200 when the table, the bus and Stripe all answer, else 503 naming them."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.http.resolver import http_handler, http_resolver
from admitone.services import health
from admitone.services.health import HealthReport

app = http_resolver()


@app.get(
    "/health",
    responses={
        200: {
            "description": "Every dependency answers.",
            "content": {"application/json": {"model": HealthReport}},
        },
        503: {
            "description": "A dependency does not answer; the report names it.",
            "content": {"application/json": {"model": HealthReport}},
        },
    },
)
def get_health() -> Response[str]:
    report = health.check_dependencies()
    return Response(
        status_code=200 if report.ok else 503,
        content_type="application/json",
        body=report.model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


handler = http_handler(app)
