"""GET /venues/{venue_id}/balance (owner): pending, available, reserved and payable
(RULES §10), derived from the ledger, in one currency (default USD)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.inputs import VenueIdPath
from admitone.http.money_views import BalanceView
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_money import venue_balance

app = http_resolver()


@app.get("/venues/<venue_id>/balance")
def get_balance(
    venue_id: VenueIdPath, currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None
) -> BalanceView:
    return BalanceView.of(venue_balance(venue_id, principal(app), currency=currency))


handler = http_handler(app)
