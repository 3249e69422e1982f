"""GET /events/{event_id}/scanner-bundle?since=cursor: what a paired device
(``X-Device-Token``) needs to judge scans offline, and the ticket changes since its
last sync. Attendee details are sealed with each ticket's own QR."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic_core import to_jsonable_python

from admitone.http.device_auth import device_authenticated, paired_device
from admitone.http.inputs import EventIdPath
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.security import DEVICE_ONLY
from admitone.services.checkin import scanner_bundle

app = http_resolver()


@app.get(
    "/events/<event_id>/scanner-bundle",
    responses={
        200: {
            "description": "Keys, ticket types, changes since the cursor, sealed attendees.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    openapi_extensions=documented(400, 401),
    security=DEVICE_ONLY,
    middlewares=[device_authenticated],
)
def get_scanner_bundle(
    event_id: EventIdPath, *, since: Annotated[str | None, Query(max_length=2048)] = None
) -> Response[str]:
    bundle = scanner_bundle(
        event_id,
        device=paired_device(app),
        since=since,
    )
    return Response(
        200,
        "application/json",
        json.dumps(to_jsonable_python(bundle), separators=(",", ":")),
        {"Cache-Control": "private, no-store"},
    )


handler = http_handler(app)
