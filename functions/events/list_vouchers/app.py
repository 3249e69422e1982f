"""GET /events/{event_id}/vouchers: the owner's codes with their use so far."""

from __future__ import annotations

from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import VoucherListView, VoucherView
from admitone.services.event_vouchers import list_vouchers

app = http_resolver()


@app.get("/events/<event_id>/vouchers")
def get_vouchers(event_id: EventIdPath) -> VoucherListView:
    vouchers = list_vouchers(event_id, principal(app))
    return VoucherListView(vouchers=[VoucherView.of(v) for v in vouchers])


handler = http_handler(app)
