"""POST /quotes: the price of a cart (fees and each tax itemized); nothing is held. Wrong
voucher codes are limited per client and event (429 VOUCHER_ATTEMPTS_EXCEEDED)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.checkout import CartItem
from admitone.http.inputs import VoucherCode
from admitone.http.problems import documented
from admitone.http.rate_limiting import client_of
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import QuoteView
from admitone.services.quote import price_cart

app = http_resolver()


class CartItemInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_type_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10)


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=64)
    items: list[CartItemInput] = Field(min_length=1, max_length=20)
    voucher_code: VoucherCode | None = None


@app.post("/quotes", openapi_extensions=documented(404, 409, 503))
def post_quote(request: Annotated[QuoteRequest, Body()]) -> QuoteView:
    items = [CartItem(i.ticket_type_id, i.quantity) for i in request.items]
    priced = price_cart(
        request.event_id,
        items,
        voucher_code=request.voucher_code,
        client=client_of(app.current_event.raw_event),
    )
    return QuoteView.of(priced.quote, priced.voucher_code)


handler = http_handler(app)
