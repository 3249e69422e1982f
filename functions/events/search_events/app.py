"""GET /events: published events by text, category, city, start date and price, in
cursor pages sorted by start time (public)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.domain.catalog import Category
from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.browse_events import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    EventPage,
    EventSearch,
    search_events,
)

app = http_resolver()


@app.get("/events", openapi_extensions=documented(400))
def get_events(
    *,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[Category | None, Query()] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    starts_from: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    min_price: Annotated[int | None, Query(ge=0, le=MAX_AMOUNT_CENTS)] = None,
    max_price: Annotated[int | None, Query(ge=0, le=MAX_AMOUNT_CENTS)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> EventPage:
    search = EventSearch(
        q=q,
        category=category,
        city=city,
        starts_from=starts_from,
        starts_to=to,
        min_price_cents=min_price,
        max_price_cents=max_price,
    )
    return search_events(search, limit=limit, cursor=cursor)


handler = http_handler(app)
