"""PATCH /venues/{venue_id}: the owner changes name, address, time zone or the resale
royalty rates of its events (``royalties``: venue and artist basis points, each 0..5000
and at most 5000 together; 422 ``ROYALTY_OUT_OF_RANGE``)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.inputs import AddressInput, RoyaltiesInput, VenueIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VenueView
from admitone.services.venues import update_venue

app = http_resolver()


class UpdateVenueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: AddressInput | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    royalties: RoyaltiesInput | None = None


@app.patch("/venues/<venue_id>")
def patch_venue(venue_id: VenueIdPath, request: Annotated[UpdateVenueRequest, Body()]) -> VenueView:
    changes = {k: v for k, v in request.model_dump(exclude_unset=True).items() if v is not None}
    if request.address is not None:
        changes["address"] = request.address.to_domain()
    if request.royalties is not None:
        changes["royalties"] = request.royalties.to_domain()
    return VenueView.of(update_venue(venue_id, principal(app), changes))


handler = http_handler(app)
