"""GET /orders/{order_id}: an order, with its tickets once paid (its buyer, the event's
organizer, an admin; anyone else gets 404)."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import OrderView
from admitone.services.orders import order_for, tickets_of

app = http_resolver()


@app.get("/orders/<order_id>")
def get_order(order_id: str) -> OrderView:
    caller = principal(app)
    order = order_for(order_id, caller)
    return OrderView.of(
        order, now=datetime.now(UTC), tickets=tickets_of(order), viewer_id=caller.user_id
    )


handler = http_handler(app)
