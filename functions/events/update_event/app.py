"""PATCH /events/{event_id}: the owner changes what the event's state allows."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import HOLD_MINUTES_RANGE, Category
from admitone.http.inputs import EventIdPath, Moment, ResaleInput
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import EventView
from admitone.services.events import update_event

app = http_resolver()


class UpdateEventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    category: Category | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    registration_deadline: Moment | None = None
    hold_minutes: int | None = Field(
        default=None, ge=HOLD_MINUTES_RANGE[0], le=HOLD_MINUTES_RANGE[1]
    )
    high_demand: bool | None = None
    nft_enabled: bool | None = None
    resale: ResaleInput | None = None


@app.patch("/events/<event_id>", openapi_extensions=documented(409))
def patch_event(event_id: EventIdPath, request: Annotated[UpdateEventRequest, Body()]) -> EventView:
    changes = {
        k: getattr(request, k) for k in request.model_fields_set if getattr(request, k) is not None
    }
    if request.resale is not None:
        changes["resale"] = request.resale.to_domain()
    return EventView.of(update_event(event_id, principal(app), changes))


handler = http_handler(app)
