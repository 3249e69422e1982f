"""POST /events/{event_id}/cancel: the owner cancels; event.cancelled starts refunds.
Only until the event ends: after that 409 EVENT_ENDED (refund orders by amount)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import EventView
from admitone.services.events import cancel_event

app = http_resolver()


class CancelEventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


@app.post("/events/<event_id>/cancel", openapi_extensions=documented(409))
def post_cancel(event_id: EventIdPath, request: Annotated[CancelEventRequest, Body()]) -> EventView:
    return EventView.of(cancel_event(event_id, principal(app), reason=request.reason))


handler = http_handler(app)
