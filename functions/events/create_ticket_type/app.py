"""POST /events/{event_id}/ticket-types: the owner adds a ticket type and its inventory."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import MAX_CAPACITY, MAX_PER_ORDER, MAX_SCANS, MAX_SHARDS
from admitone.domain.money import MAX_AMOUNT_CENTS, Currency
from admitone.http.inputs import EventIdPath, Moment
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import TicketTypeView
from admitone.services.ticket_types import create_ticket_type

app = http_resolver()


class CreateTicketTypeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    price_cents: int = Field(ge=0, le=MAX_AMOUNT_CENTS)
    currency: Currency = Currency.USD
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    max_per_order: int = Field(default=4, ge=1, le=MAX_PER_ORDER)
    max_scans: int = Field(default=1, ge=1, le=MAX_SCANS)
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    hidden: bool = False
    shards: int = Field(default=1, ge=1, le=MAX_SHARDS)
    pool_id: str | None = Field(default=None, max_length=64)


@app.post("/events/<event_id>/ticket-types", status_code=201, openapi_extensions=documented(409))
def post_ticket_type(
    event_id: EventIdPath, request: Annotated[CreateTicketTypeRequest, Body()]
) -> tuple[TicketTypeView, int]:
    created = create_ticket_type(event_id, principal(app), **request.model_dump())
    return TicketTypeView.of(created), 201


handler = http_handler(app)
