"""GET /listings/{listing_id}: one listing as it stands (public): its ticket type,
price and status, never its seller. A listing of an event that has started reads
``ended`` (``event_started``)."""

from __future__ import annotations

from admitone.http.inputs import ListingIdPath
from admitone.http.listing_views import PublicListing
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.listings import listing, ticket_type_names
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/listings/<listing_id>")
def get_listing(listing_id: ListingIdPath) -> PublicListing:
    logger.append_keys(listing_id=listing_id)
    store = ports().store
    found = listing(store, listing_id)
    return PublicListing.of(found, ticket_type_names(store, found.event_id))


handler = http_handler(app)
