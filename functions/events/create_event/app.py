"""POST /events: an organizer creates a draft event at a venue they own."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import HOLD_MINUTES_RANGE, Category
from admitone.domain.money import Currency
from admitone.http.inputs import Moment, ResaleInput
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import EventView
from admitone.services.events import create_event

app = http_resolver()


class CreateEventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    category: Category
    starts_at: Moment
    ends_at: Moment
    sales_start: Moment
    sales_end: Moment
    currency: Currency = Currency.USD
    registration_deadline: Moment | None = None
    hold_minutes: int = Field(default=15, ge=HOLD_MINUTES_RANGE[0], le=HOLD_MINUTES_RANGE[1])
    high_demand: bool = False
    nft_enabled: bool = False
    resale: ResaleInput | None = None


@app.post("/events", status_code=201, openapi_extensions=documented(403))
def post_event(request: Annotated[CreateEventRequest, Body()]) -> tuple[EventView, int]:
    fields = request.model_dump(exclude={"resale"})
    resale = request.resale.to_domain() if request.resale else None
    return EventView.of(create_event(principal(app), resale=resale, **fields)), 201


handler = http_handler(app)
