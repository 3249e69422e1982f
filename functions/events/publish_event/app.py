"""POST /events/{event_id}/publish: the owner puts a draft event on sale."""

from __future__ import annotations

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import EventView
from admitone.services.events import publish_event

app = http_resolver()


@app.post("/events/<event_id>/publish", openapi_extensions=documented(409))
def post_publish(event_id: EventIdPath) -> EventView:
    return EventView.of(publish_event(event_id, principal(app)))


handler = http_handler(app)
