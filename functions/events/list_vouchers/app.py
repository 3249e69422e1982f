"""GET /events/{event_id}/vouchers: the owner's codes with their use so far."""

from __future__ import annotations

from typing import Any

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VoucherView
from admitone.services.event_vouchers import list_vouchers

app = http_resolver()


@app.get("/events/<event_id>/vouchers")
def get_vouchers(event_id: EventIdPath) -> dict[str, Any]:
    vouchers = list_vouchers(event_id, principal(app))
    return {"vouchers": [VoucherView.of(v).model_dump(mode="json") for v in vouchers]}


handler = http_handler(app)
