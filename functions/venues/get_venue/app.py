"""GET /venues/{venue_id}: a venue's public details."""

from __future__ import annotations

from admitone.http.inputs import VenueIdPath
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VenueView
from admitone.services.venues import get_venue

app = http_resolver()


@app.get("/venues/<venue_id>")
def get_one(venue_id: VenueIdPath) -> VenueView:
    return VenueView.of(get_venue(venue_id))


handler = http_handler(app)
