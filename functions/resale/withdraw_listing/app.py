"""DELETE /listings/{listing_id}: the seller takes their listing off the market; it
reads ``withdrawn`` and the ticket may be listed again. 409 ``LISTING_UNAVAILABLE``
once it is no longer active; 404 for anyone else's listing."""

from __future__ import annotations

from admitone.http.inputs import ListingIdPath
from admitone.http.listing_views import SellerListing
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.listings import ticket_type_names, withdraw
from admitone.services.wiring import ports

app = http_resolver()


@app.delete("/listings/<listing_id>", openapi_extensions=documented(409))
def delete_listing(listing_id: ListingIdPath) -> SellerListing:
    logger.append_keys(listing_id=listing_id)
    store = ports().store
    gone = withdraw(store, listing_id, principal(app))
    return SellerListing.of(gone, ticket_type_names(store, gone.event_id))


handler = http_handler(app)
