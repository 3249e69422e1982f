"""POST /orders/{order_id}/cancel (its buyer, while it awaits payment): cancel the
PaymentIntent, give the seats back. Cancelling a cancelled order answers it again."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.http.inputs import OrderIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import OrderView
from admitone.services.orders import cancel_order
from admitone.services.wiring import ports

app = http_resolver()


@app.post("/orders/<order_id>/cancel", openapi_extensions=documented(409, 503))
def post_cancel(order_id: OrderIdPath) -> OrderView:
    caller = principal(app)
    return OrderView.of(cancel_order(ports(), order_id, caller), now=datetime.now(UTC))


handler = http_handler(app)
