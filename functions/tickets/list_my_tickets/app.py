"""GET /me/tickets: the tickets the caller holds, newest first, in cursor pages."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import TicketPageView, TicketView
from admitone.services.tickets import holder_tickets

app = http_resolver()

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@app.get("/me/tickets", openapi_extensions=documented(400))
def get_my_tickets(
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TicketPageView:
    caller = principal(app)
    page = holder_tickets(caller, limit=limit, cursor=cursor)
    return TicketPageView(
        tickets=[TicketView.of(t, viewer_id=caller.user_id) for t in page.tickets],
        next_cursor=page.next_cursor,
    )


handler = http_handler(app)
