"""GET /venues/{venue_id}/payouts (owner): the venue's payouts, newest first."""

from __future__ import annotations

from admitone.http.inputs import VenueIdPath
from admitone.http.money_views import PayoutListView, PayoutView
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_money import venue_payouts

app = http_resolver()


@app.get("/venues/<venue_id>/payouts")
def get_payouts(venue_id: VenueIdPath) -> PayoutListView:
    return PayoutListView(
        payouts=[PayoutView.of(payout) for payout in venue_payouts(venue_id, principal(app))]
    )


handler = http_handler(app)
