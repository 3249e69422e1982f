"""GET /events/{event_id}/stats: sold, held, available and money per ticket type, and
once a cancelled event's orders are being refunded, how far that has got."""

from __future__ import annotations

from typing import Any

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.event_stats import event_stats

app = http_resolver()


@app.get("/events/<event_id>/stats")
def get_stats(event_id: EventIdPath) -> dict[str, Any]:
    stats = event_stats(event_id, principal(app))
    return {
        "event_id": stats.event_id,
        "status": stats.status,
        "currency": stats.currency,
        "ticket_types": [{**vars(row), "net_cents": row.net_cents} for row in stats.ticket_types],
        "cancellation_refunds": vars(stats.cancellation_refunds)
        if stats.cancellation_refunds
        else None,
    }


handler = http_handler(app)
