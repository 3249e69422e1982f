"""GET /admin/health (admins): 200 when the table, the bus and Stripe all answer, else
503 naming them. Every call touches each dependency, so it is not public.

Outside the gateway's authorizer, which reads the caller's user from the table: the
check must answer while the table is down, so the admin token is checked by its
signature here (services/authorize.admin_by_signature)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.security import ACCESS_TOKEN
from admitone.services import health
from admitone.services.authorize import admin_by_signature
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
    security=ACCESS_TOKEN,
    openapi_extensions=documented(403),
)
def get_admin_health() -> Response[str]:
    admin_by_signature(app.current_event.headers.get("authorization"))
    report = health.check_dependencies()
    return Response(
        status_code=200 if report.ok else 503,
        content_type="application/json",
        body=report.model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


handler = http_handler(app)
