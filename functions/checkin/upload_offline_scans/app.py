"""POST /events/{event_id}/scans/offline: a paired device (``X-Device-Token``) uploads
what it decided offline; each scan comes back accepted, duplicate (same nonce),
conflict (admitted elsewhere first) or rejected. Idempotent per nonce."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tokens import MAX_TOKEN_CHARS
from admitone.http.device_auth import device_authenticated, paired_device
from admitone.http.inputs import EventIdPath, Moment
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.security import DEVICE_ONLY
from admitone.http.ticket_views import OfflineResultsView, OfflineResultView
from admitone.services.checkin import MAX_OFFLINE_BATCH, OfflineScan, upload_offline_scans

app = http_resolver()


class OfflineScanInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS * 4)
    gate: str | None = Field(default=None, min_length=1, max_length=64)
    scanned_at: Moment


class OfflineUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scans: list[OfflineScanInput] = Field(min_length=1, max_length=MAX_OFFLINE_BATCH)


def _scan(entry: OfflineScanInput) -> OfflineScan:
    scanned_at: datetime = entry.scanned_at
    return OfflineScan(nonce=entry.nonce, token=entry.token, scanned_at=scanned_at, gate=entry.gate)


@app.post(
    "/events/<event_id>/scans/offline",
    openapi_extensions=documented(401),
    security=DEVICE_ONLY,
    middlewares=[device_authenticated],
)
def post_offline_scans(
    event_id: EventIdPath, request: Annotated[OfflineUpload, Body()]
) -> OfflineResultsView:
    outcomes = upload_offline_scans(
        event_id,
        [_scan(entry) for entry in request.scans],
        device=paired_device(app),
    )
    return OfflineResultsView(results=[OfflineResultView.of(o) for o in outcomes])


handler = http_handler(app)
