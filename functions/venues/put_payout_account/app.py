"""PUT /venues/{venue_id}/payout-account (owner): where the venue's payouts are paid, a
Stripe connected account made for it (``country``) or one of the platform's the owner
names (``account_id``). 422 PAYOUT_ACCOUNT_UNKNOWN for an account Stripe does not know."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from admitone.http.inputs import VenueIdPath
from admitone.http.payout_account_inputs import PayoutAccountRequest, PayoutAccountView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_money import link_venue_payout_account

app = http_resolver()


@app.put("/venues/<venue_id>/payout-account", openapi_extensions=documented(404, 503))
def put_venue_payout_account(
    venue_id: VenueIdPath, request: Annotated[PayoutAccountRequest, Body()]
) -> PayoutAccountView:
    account = link_venue_payout_account(
        venue_id, principal(app), country=request.country, account_id=request.account_id
    )
    return PayoutAccountView.of(account)


handler = http_handler(app)
