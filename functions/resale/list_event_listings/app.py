"""GET /events/{event_id}/listings: the event's listings for sale, cheapest first, in
cursor pages (public): ticket type and price, never the seller. None once the event
has started or was cancelled."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import EventIdPath
from admitone.http.listing_views import PublicListingPage
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.listings import for_sale
from admitone.services.wiring import ports

app = http_resolver()

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@app.get("/events/<event_id>/listings", openapi_extensions=documented(400))
def get_event_listings(
    event_id: EventIdPath,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PublicListingPage:
    logger.append_keys(event_id=event_id)
    return PublicListingPage.of(for_sale(ports().store, event_id, limit=limit, cursor=cursor))


handler = http_handler(app)
