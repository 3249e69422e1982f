"""GET /health (public): liveness only, 200 ``{"status": "ok"}``; it calls no dependency.
The deep check of the table, the bus and Stripe is GET /admin/health (admins)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.http.resolver import http_handler, http_resolver
from admitone.services import health
from admitone.services.health import Liveness

app = http_resolver()


@app.get(
    "/health",
    responses={
        200: {
            "description": "The service answers (no dependency is checked).",
            "content": {"application/json": {"model": Liveness}},
        },
    },
)
def get_health() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=health.liveness().model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


handler = http_handler(app)
