"""GET /me/orders: the caller's orders, newest first, in cursor pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import OrderPageView, OrderView
from admitone.services.orders import buyer_orders
from admitone.services.wiring import ports

app = http_resolver()

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@app.get("/me/orders", openapi_extensions=documented(400))
def get_my_orders(
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrderPageView:
    caller = principal(app)
    page = buyer_orders(ports(), caller, limit=limit, cursor=cursor)
    now = datetime.now(UTC)
    return OrderPageView(
        orders=[OrderView.of(order, now=now) for order in page.orders],
        next_cursor=page.next_cursor,
    )


handler = http_handler(app)
