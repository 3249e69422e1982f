"""POST /venues/{venue_id}/payouts (owner, Idempotency-Key required): pay part of the
payable balance out. At least 100, at most the payable balance and 50,000 a day, in
the payout's currency (each currency has its own day); instant payouts cost 1 %.
422 PAYOUT_BELOW_MINIMUM / PAYOUT_EXCEEDS_PAYABLE / PAYOUT_DAILY_LIMIT otherwise."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.idempotency import idempotent_route
from admitone.http.inputs import VenueIdPath
from admitone.http.money_views import PayoutView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.venue_money import request_payout

app = http_resolver()


class PayoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int = Field(ge=1, le=MAX_AMOUNT_CENTS)
    instant: bool = False
    currency: str | None = Field(default=None, min_length=3, max_length=3)


@app.post(
    "/venues/<venue_id>/payouts",
    middlewares=[idempotent_route()],
    status_code=201,
    openapi_extensions=documented(403, 409, 503),
)
def post_payout(
    venue_id: VenueIdPath, request: Annotated[PayoutRequest, Body()]
) -> tuple[PayoutView, int]:
    payout = request_payout(
        venue_id,
        principal(app),
        amount=request.amount_cents,
        instant=request.instant,
        currency=request.currency,
    )
    return PayoutView.of(payout), 201


handler = http_handler(app)
