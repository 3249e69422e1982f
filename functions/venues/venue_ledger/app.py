"""GET /venues/{venue_id}/ledger (owner): the venue's ledger transactions, newest first,
each with all its entries, in cursor pages."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import VenueIdPath
from admitone.http.money_views import LedgerPageView, LedgerTransactionView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_money import venue_ledger

app = http_resolver()

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@app.get("/venues/<venue_id>/ledger", openapi_extensions=documented(400))
def get_ledger(
    venue_id: VenueIdPath,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> LedgerPageView:
    page = venue_ledger(venue_id, principal(app), limit=limit, cursor=cursor)
    return LedgerPageView(
        transactions=[LedgerTransactionView.of(txn) for txn in page.transactions],
        next_cursor=page.next_cursor,
    )


handler = http_handler(app)
