"""DELETE /venues/{venue_id}/devices/{device_id}: a supervisor revokes a gate device; its
token is refused from the next request on."""

from __future__ import annotations

from admitone.domain.gate_access import DeviceStatus
from admitone.http.inputs import DeviceIdPath, VenueIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import DeviceView
from admitone.services.gate_access import revoke_device

app = http_resolver()


@app.delete("/venues/<venue_id>/devices/<device_id>", openapi_extensions=documented(403))
def delete_device(venue_id: VenueIdPath, device_id: DeviceIdPath) -> DeviceView:
    return DeviceView.of(revoke_device(venue_id, device_id, principal(app)), DeviceStatus.REVOKED)


handler = http_handler(app)
