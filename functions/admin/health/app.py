"""GET /admin/health (admins): 200 when the table, the bus and Stripe all answer, else
503 naming them. Every call touches each dependency, so it is not public."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.domain.jwt_tokens import Role
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services import health
from admitone.services.health import HealthReport

app = http_resolver()


@app.get(
    "/admin/health",
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
    openapi_extensions=documented(403),
)
def get_admin_health() -> Response[str]:
    principal(app, Role.ADMIN)
    report = health.check_dependencies()
    return Response(
        status_code=200 if report.ok else 503,
        content_type="application/json",
        body=report.model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


handler = http_handler(app)
