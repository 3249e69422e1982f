"""POST /venues/{venue_id}/devices/{device_id}/renewal: a supervisor gives a gate device
another 30 days; a revoked device, or one whose pairer left the venue's gates, is not
renewed (409)."""

from __future__ import annotations

from admitone.http.inputs import DeviceIdPath, VenueIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import DeviceView
from admitone.services.gate_access import renew_device

app = http_resolver()


@app.post("/venues/<venue_id>/devices/<device_id>/renewal", openapi_extensions=documented(403, 409))
def post_renewal(venue_id: VenueIdPath, device_id: DeviceIdPath) -> DeviceView:
    return DeviceView.of_state(renew_device(venue_id, device_id, principal(app)))


handler = http_handler(app)
