"""POST /webhook-endpoints: an organizer subscribes an https URL to event types; the
signing secret is in this answer only."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.events import SCHEMAS
from admitone.domain.webhooks import URL_MAX_LENGTH
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.webhook_views import CreatedEndpointView
from admitone.services.webhooks import create_endpoint
from admitone.services.wiring import ports

app = http_resolver()

# The catalogue a subscriber chooses from: the domain events about an event (an organizer
# receives those of their own events); events/README.md has each one's data.
DELIVERED_EVENT_TYPES = sorted(
    name for name, schema in SCHEMAS.items() if "event_id" in schema.model_fields
)


class CreateEndpointRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=URL_MAX_LENGTH)
    events: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1,
        max_length=32,
        description="Event types to deliver: " + ", ".join(DELIVERED_EVENT_TYPES) + ".",
    )


@app.post("/webhook-endpoints", status_code=201, openapi_extensions=documented(403))
def post_endpoint(
    request: Annotated[CreateEndpointRequest, Body()],
) -> tuple[CreatedEndpointView, int]:
    endpoint = create_endpoint(
        principal(app), url=request.url, events=request.events, envelopes=ports().envelopes
    )
    return CreatedEndpointView.created(endpoint), 201


handler = http_handler(app)
