"""POST /venues/{venue_id}/devices: a supervisor gets a one-time pairing code (10 minutes)
to type into a new gate device."""

from __future__ import annotations

from admitone.http.inputs import VenueIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import PairingCodeView
from admitone.services.gate_access import create_pairing_code

app = http_resolver()


@app.post("/venues/<venue_id>/devices", status_code=201, openapi_extensions=documented(403))
def post_pairing_code(venue_id: VenueIdPath) -> tuple[PairingCodeView, int]:
    return PairingCodeView.of(create_pairing_code(venue_id, principal(app))), 201


handler = http_handler(app)
