"""GET /events/{event_id}: a published event, its ticket types and what each has left
(public; a draft or unknown id is a 404)."""

from __future__ import annotations

from admitone.http.inputs import EventIdPath
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.browse_events import PublicEvent, event_detail

app = http_resolver()


@app.get("/events/<event_id>")
def get_event(event_id: EventIdPath) -> PublicEvent:
    logger.append_keys(event_id=event_id)
    return event_detail(event_id)


handler = http_handler(app)
