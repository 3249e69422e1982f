"""POST /orders/{order_id}/registration-link (its buyer, once paid): a new registration
link for the order; every earlier link of it stops working (a leaked link is revoked
this way). Answered to the signed-in buyer, not e-mailed."""

from __future__ import annotations

from admitone.http.inputs import OrderIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import RegistrationLinkView
from admitone.services.registration import reissue_registration_link

app = http_resolver()


@app.post(
    "/orders/<order_id>/registration-link",
    status_code=201,
    openapi_extensions=documented(404, 409, 410),
)
def post_registration_link(order_id: OrderIdPath) -> tuple[RegistrationLinkView, int]:
    link = reissue_registration_link(order_id, principal(app))
    return RegistrationLinkView(token=link.token, deadline=link.deadline), 201


handler = http_handler(app)
