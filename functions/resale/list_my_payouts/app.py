"""GET /me/payouts: the caller's resale payouts, newest first: ``in_transit`` until their
Stripe transfer is made, then ``paid`` (with the transfer) or ``failed`` (the money back
in their payable proceeds)."""

from __future__ import annotations

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.proceeds_views import SellerPayoutListView
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.payout_requests import seller_payouts
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/me/payouts", openapi_extensions=documented())
def get_my_payouts() -> SellerPayoutListView:
    return SellerPayoutListView.of(seller_payouts(ports(), principal(app)))


handler = http_handler(app)
