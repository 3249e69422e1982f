"""DELETE /webhook-endpoints/{endpoint_id}: stop deliveries to an endpoint (its owner)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.http.inputs import WebhookEndpointIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.webhooks import delete_endpoint

app = http_resolver()


@app.delete("/webhook-endpoints/<endpoint_id>", status_code=204)
def delete(endpoint_id: WebhookEndpointIdPath) -> Response[str]:
    delete_endpoint(endpoint_id, principal(app))
    return Response(204, None, "")


handler = http_handler(app)
