"""GET /webhook-endpoints/{endpoint_id}/deliveries: the delivery log, newest first, each
attempt with its time and the receiver's status (or why nothing answered)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import WebhookEndpointIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.webhook_views import DeliveriesView, DeliveryView
from admitone.services.webhooks import deliveries

app = http_resolver()

MAX_LIMIT = 100


@app.get("/webhook-endpoints/<endpoint_id>/deliveries", openapi_extensions=documented(400))
def get_deliveries(
    endpoint_id: WebhookEndpointIdPath, *, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
) -> DeliveriesView:
    found = deliveries(endpoint_id, principal(app), limit=limit)
    return DeliveriesView(deliveries=[DeliveryView.of(d) for d in found])


handler = http_handler(app)
