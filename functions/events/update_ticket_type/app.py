"""PATCH /events/{event_id}/ticket-types/{ticket_type_id}: change a ticket type."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import MAX_CAPACITY, MAX_PER_ORDER, MAX_SCANS
from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.inputs import EventIdPath, Moment, TicketTypeIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import TicketTypeView
from admitone.services.ticket_types import update_ticket_type

app = http_resolver()


class UpdateTicketTypeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    price_cents: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_CENTS)
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    max_per_order: int | None = Field(default=None, ge=1, le=MAX_PER_ORDER)
    max_scans: int | None = Field(default=None, ge=1, le=MAX_SCANS)
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    hidden: bool | None = None


@app.patch("/events/<event_id>/ticket-types/<ticket_type_id>", openapi_extensions=documented(409))
def patch_ticket_type(
    event_id: EventIdPath,
    ticket_type_id: TicketTypeIdPath,
    request: Annotated[UpdateTicketTypeRequest, Body()],
) -> TicketTypeView:
    changes = request.model_dump(exclude_unset=True, exclude_none=True)
    return TicketTypeView.of(update_ticket_type(event_id, ticket_type_id, principal(app), changes))


handler = http_handler(app)
