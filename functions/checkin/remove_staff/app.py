"""DELETE /venues/{venue_id}/staff/{user_id}: the venue's organizer takes a gate role away."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.http.inputs import UserIdPath, VenueIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.gate_access import remove_staff

app = http_resolver()


@app.delete("/venues/<venue_id>/staff/<user_id>", status_code=204)
def delete_staff(venue_id: VenueIdPath, user_id: UserIdPath) -> Response[str]:
    remove_staff(venue_id, user_id, principal(app))
    return Response(204, None, "")


handler = http_handler(app)
