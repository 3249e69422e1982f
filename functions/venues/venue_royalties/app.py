"""GET /venues/{venue_id}/royalties?from=&to= (owner or admin): the resale royalties the
venue's ledger booked on the UTC days ``from`` to ``to`` inclusive (at most 366), per
event in cursor pages and in all per currency; 422 naming ``from``/``to`` for a bad or
reversed range, 400 for a cursor of another venue or range."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import VenueIdPath
from admitone.http.money_views import RoyaltyPageView, RoyaltySumView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_royalties import venue_royalties
from admitone.services.wiring import ports

app = http_resolver()

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@app.get("/venues/<venue_id>/royalties", openapi_extensions=documented(400, 404))
def get_royalties(
    venue_id: VenueIdPath,
    *,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RoyaltyPageView:
    page = venue_royalties(
        ports(), venue_id, principal(app), first=first, last=last, limit=limit, cursor=cursor
    )
    return RoyaltyPageView(
        venue_id=venue_id,
        from_=page.range.first,
        to=page.range.last,
        totals=[RoyaltySumView.of(row) for row in page.totals],
        events=[RoyaltySumView.of(row) for row in page.events],
        next_cursor=page.next_cursor,
    )


handler = http_handler(app)
