"""GET /webhook-endpoints/{endpoint_id}: an endpoint (its owner; the secret is not shown)."""

from __future__ import annotations

from admitone.http.inputs import WebhookEndpointIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.webhook_views import EndpointView
from admitone.services.webhooks import owned_endpoint

app = http_resolver()


@app.get("/webhook-endpoints/<endpoint_id>")
def get_endpoint(endpoint_id: WebhookEndpointIdPath) -> EndpointView:
    return EndpointView.of(owned_endpoint(endpoint_id, principal(app)))


handler = http_handler(app)
