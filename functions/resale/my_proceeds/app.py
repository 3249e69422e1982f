"""GET /me/proceeds: the caller's resale proceeds per currency, pending (by event, until
48 h after it ends) and payable."""

from __future__ import annotations

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.proceeds_views import ProceedsView
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.seller_proceeds import proceeds_of
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/me/proceeds", openapi_extensions=documented())
def get_my_proceeds() -> ProceedsView:
    return ProceedsView.of(proceeds_of(ports().store, principal(app)))


handler = http_handler(app)
