"""POST /orders (buyer, Idempotency-Key required): hold the seats and open a Stripe
PaymentIntent. 201 with the totals, the PaymentIntent's client secret and when the hold
ends (a total of zero: 201 already paid, with its tickets); 409 SOLD_OUT naming the
ticket type; 422 BELOW_MINIMUM_CHARGE; the same key and body replay the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.checkout import CartItem
from admitone.http.idempotency import idempotency_scope, idempotent_route
from admitone.http.inputs import EmailAddress, VoucherCode
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.rate_limiting import client_of
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import OrderView
from admitone.services.orders import place_order
from admitone.services.wiring import ports

app = http_resolver()


class OrderItemInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_type_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10)


class PlaceOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=64)
    items: list[OrderItemInput] = Field(min_length=1, max_length=20)
    voucher_code: VoucherCode | None = None
    attendee_email: EmailAddress | None = None


@app.post(
    "/orders",
    middlewares=[idempotent_route()],
    status_code=201,
    openapi_extensions=documented(403, 404, 409, 503),
)
def post_order(request: Annotated[PlaceOrderRequest, Body()]) -> tuple[OrderView, int]:
    buyer = principal(app)
    placed = place_order(
        ports(),
        buyer,
        request.event_id,
        [CartItem(item.ticket_type_id, item.quantity) for item in request.items],
        voucher_code=request.voucher_code,
        attendee_email=request.attendee_email,
        stripe_key=idempotency_scope(app).stripe_key,
        client=client_of(app.current_event.raw_event),
    )
    view = OrderView.of(
        placed.order,
        now=datetime.now(UTC),
        tickets=placed.tickets,
        viewer_id=buyer.user_id,
        client_secret=placed.client_secret,
    )
    return view, 201


handler = http_handler(app)
