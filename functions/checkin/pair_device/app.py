"""POST /devices/pair: a scanner spends a pairing code on a device and gets its device
token (shown once)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.gate_access import DEVICE_NAME_MAX_LENGTH
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import PairedDeviceView
from admitone.services.gate_access import pair_device

app = http_resolver()


class PairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=DEVICE_NAME_MAX_LENGTH)


@app.post("/devices/pair", status_code=201, openapi_extensions=documented(403))
def post_pair(request: Annotated[PairRequest, Body()]) -> tuple[PairedDeviceView, int]:
    return PairedDeviceView.paired(pair_device(request.code, request.name, principal(app))), 201


handler = http_handler(app)
