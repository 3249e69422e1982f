"""POST /venues: an organizer creates a venue (its address decides the sales tax)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.inputs import AddressInput
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VenueView
from admitone.services.venues import create_venue

app = http_resolver()


class CreateVenueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    address: AddressInput
    timezone: str = Field(min_length=1, max_length=64)


@app.post("/venues", status_code=201, openapi_extensions=documented(403))
def post_venue(request: Annotated[CreateVenueRequest, Body()]) -> tuple[VenueView, int]:
    venue = create_venue(
        principal(app),
        name=request.name,
        address=request.address.to_domain(),
        timezone=request.timezone,
    )
    return VenueView.of(venue), 201


handler = http_handler(app)
