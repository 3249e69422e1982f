"""GET /events/{event_id}/stats: sold, held, available and money per ticket type, and
once a cancelled event's orders are being refunded, how far that has got."""

from __future__ import annotations

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import EventStatsView
from admitone.services.event_stats import event_stats

app = http_resolver()


@app.get("/events/<event_id>/stats")
def get_stats(event_id: EventIdPath) -> EventStatsView:
    return EventStatsView.of(event_stats(event_id, principal(app)))


handler = http_handler(app)
