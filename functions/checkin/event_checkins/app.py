"""GET /events/{event_id}/checkins: live check-in counts per ticket type and gate, and
the scan log newest first (the venue's organizer and supervisors)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import CheckinsView
from admitone.services.checkin import checkins

app = http_resolver()

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@app.get("/events/<event_id>/checkins", openapi_extensions=documented(400, 403))
def get_checkins(
    event_id: EventIdPath,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> CheckinsView:
    return CheckinsView.of(checkins(event_id, principal(app), limit=limit, cursor=cursor))


handler = http_handler(app)
