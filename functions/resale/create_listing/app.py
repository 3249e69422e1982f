"""POST /tickets/{ticket_id}/listings: the holder offers a ticket for resale at a price
within the event's resale policy (default 50 % to 150 % of face value, charity events
at most face value). 409 ``RESALE_NOT_ALLOWED`` when the event turned resale off, 409
``TICKET_NOT_LISTABLE`` for a void or used ticket or an event cancelled or started, 409
``TICKET_ALREADY_LISTED`` while the ticket has an active listing; 422 naming
``price_cents`` outside the policy; 404 for a ticket the caller does not hold."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.inputs import TicketIdPath
from admitone.http.listing_views import SellerListing
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.listings import list_ticket, ticket_type_names
from admitone.services.wiring import ports

app = http_resolver()


class ListingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_cents: int = Field(ge=1, le=MAX_AMOUNT_CENTS)


@app.post("/tickets/<ticket_id>/listings", status_code=201, openapi_extensions=documented(409))
def post_listing(
    ticket_id: TicketIdPath, request: Annotated[ListingRequest, Body()]
) -> tuple[SellerListing, int]:
    logger.append_keys(ticket_id=ticket_id)
    store = ports().store
    listing = list_ticket(store, ticket_id, principal(app), price_cents=request.price_cents)
    return SellerListing.of(listing, ticket_type_names(store, listing.event_id)), 201


handler = http_handler(app)
