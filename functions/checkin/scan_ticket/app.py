"""POST /events/{event_id}/scans: a scanner, on a paired device (``X-Device-Token``),
scans a QR at a gate: admitted exactly once per allowed scan, or why not."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tokens import MAX_TOKEN_CHARS
from admitone.http.device_auth import device_authenticated, paired_device
from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.security import SCANNER_ON_DEVICE
from admitone.http.ticket_views import ScanResultView
from admitone.services.checkin import scan_ticket

app = http_resolver()

GATE_MAX_LENGTH = 64


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Any text: an unreadable QR is an answer ("invalid"), not a bad request.
    token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS * 4)
    gate: str | None = Field(default=None, min_length=1, max_length=GATE_MAX_LENGTH)


@app.post(
    "/events/<event_id>/scans",
    openapi_extensions=documented(403),
    security=SCANNER_ON_DEVICE,
    middlewares=[device_authenticated],
)
def post_scan(event_id: EventIdPath, request: Annotated[ScanRequest, Body()]) -> ScanResultView:
    outcome = scan_ticket(
        event_id,
        request.token,
        caller=principal(app),
        device=paired_device(app),
        gate=request.gate,
    )
    return ScanResultView.of(outcome)


handler = http_handler(app)
