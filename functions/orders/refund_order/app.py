"""POST /orders/{order_id}/refunds (Idempotency-Key required): refund an order, fully or
partly. Its buyer refunds tickets within RULES §9 (403 REFUND_NOT_ALLOWED with the
reason otherwise); the event's organizer or an admin refunds any amount, by default
everything left. More than is left is 422 REFUND_EXCEEDS_REMAINING. 201 with the refund
(status ``pending`` until Stripe confirms it, ``succeeded`` when it already has)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.domain.refunds import RefundAsk, RefundReason
from admitone.http.idempotency import idempotency_scope, idempotent_route
from admitone.http.inputs import OrderIdPath
from admitone.http.money_views import RefundView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.refunds import request_refund

app = http_resolver()


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_CENTS)
    ticket_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=10
    )
    reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER


@app.post(
    "/orders/<order_id>/refunds",
    middlewares=[idempotent_route()],
    status_code=201,
    openapi_extensions=documented(403, 409, 503),
)
def post_refund(
    order_id: OrderIdPath, request: Annotated[RefundRequest | None, Body()] = None
) -> tuple[RefundView, int]:
    caller = principal(app)
    body = request or RefundRequest()
    refund = request_refund(
        order_id,
        caller,
        RefundAsk(
            amount=body.amount_cents,
            ticket_ids=tuple(body.ticket_ids) if body.ticket_ids is not None else None,
            reason=body.reason,
        ),
        request_key=idempotency_scope(app).stripe_key("refund.create"),
    )
    return RefundView.of(refund), 201


handler = http_handler(app)
