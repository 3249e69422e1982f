"""GET /venues/{venue_id}/devices: a supervisor lists the venue's gate devices, newest
first, each with its status, expiry and last use (to find and revoke forgotten ones)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import VenueIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import DeviceListView
from admitone.services.gate_access import list_devices

app = http_resolver()

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@app.get("/venues/<venue_id>/devices", openapi_extensions=documented(400, 403))
def get_devices(
    venue_id: VenueIdPath,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeviceListView:
    return DeviceListView.of(list_devices(venue_id, principal(app), limit=limit, cursor=cursor))


handler = http_handler(app)
