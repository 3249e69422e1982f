"""POST /events/{event_id}/vouchers: a discount (percent, fixed) or access code."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import MAX_CAPACITY, Voucher, VoucherKind
from admitone.domain.money import MAX_AMOUNT_CENTS
from admitone.http.inputs import EventIdPath, Moment, VoucherCode
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VoucherView
from admitone.services.event_vouchers import create_voucher

app = http_resolver()

# A code used more often than any event has seats is a typo, not a plan.
MAX_VOUCHER_USES = MAX_CAPACITY


class CreateVoucherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: VoucherCode
    kind: VoucherKind
    # Basis points (percent) or cents (fixed); the kind's own range is the domain's.
    value: int = Field(default=0, ge=0, le=MAX_AMOUNT_CENTS)
    max_uses: int | None = Field(default=None, ge=1, le=MAX_VOUCHER_USES)
    budget_cents: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_CENTS)
    valid_from: Moment | None = None
    valid_to: Moment | None = None
    ticket_type_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )


@app.post("/events/<event_id>/vouchers", status_code=201, openapi_extensions=documented(409))
def post_voucher(
    event_id: EventIdPath, request: Annotated[CreateVoucherRequest, Body()]
) -> tuple[VoucherView, int]:
    fields = request.model_dump()
    fields["ticket_type_ids"] = tuple(fields["ticket_type_ids"])
    voucher = create_voucher(principal(app), Voucher(event_id=event_id, **fields))
    return VoucherView.of(voucher), 201


handler = http_handler(app)
