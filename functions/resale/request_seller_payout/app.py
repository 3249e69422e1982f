"""POST /me/payouts (Idempotency-Key required): pay part of the caller's payable resale
proceeds to their payout account by a Stripe transfer (made by TransferPayoutsFunction
once the payout is recorded). At least 100 and at most 50,000 a day in the payout's
currency, at most what is payable: 422 PAYOUT_BELOW_MINIMUM / PAYOUT_EXCEEDS_PAYABLE /
PAYOUT_DAILY_LIMIT otherwise; 409 PAYOUT_ACCOUNT_MISSING without a payout account."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.idempotency import idempotent_route
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.proceeds_views import SellerPayoutView
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.payout_requests import request_seller_payout
from admitone.services.wiring import ports

app = http_resolver()


class SellerPayoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int = Field(ge=1, le=MAX_AMOUNT_CENTS)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


@app.post(
    "/me/payouts",
    middlewares=[idempotent_route()],
    status_code=201,
    openapi_extensions=documented(409, 503),
)
def post_my_payout(request: Annotated[SellerPayoutRequest, Body()]) -> tuple[SellerPayoutView, int]:
    payout = request_seller_payout(
        ports(), principal(app), amount=request.amount_cents, currency=request.currency
    )
    return SellerPayoutView.of(payout), 201


handler = http_handler(app)
