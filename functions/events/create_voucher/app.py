"""POST /events/{event_id}/vouchers: a discount (percent, fixed) or access code."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import Voucher, VoucherKind
from admitone.http.inputs import EventIdPath, Moment
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VoucherView
from admitone.services.event_vouchers import create_voucher

app = http_resolver()


class CreateVoucherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    kind: VoucherKind
    value: int = 0
    max_uses: int | None = None
    budget_cents: int | None = None
    valid_from: Moment | None = None
    valid_to: Moment | None = None
    ticket_type_ids: list[str] = Field(default_factory=list, max_length=50)


@app.post("/events/<event_id>/vouchers")
def post_voucher(
    event_id: EventIdPath, request: Annotated[CreateVoucherRequest, Body()]
) -> tuple[VoucherView, int]:
    fields = request.model_dump()
    fields["ticket_type_ids"] = tuple(fields["ticket_type_ids"])
    voucher = create_voucher(principal(app), Voucher(event_id=event_id, **fields))
    return VoucherView.of(voucher), 201


handler = http_handler(app)
