"""GET /orders/{order_id}: an order, with its tickets once paid and each one's NFT mint
state (its buyer, the event's organizer, an admin; anyone else gets 404). The buyer also
gets the registration link to name the attendees."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.http.inputs import OrderIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import OrderView, RegistrationLinkView
from admitone.services.orders import mints_of, order_for, tickets_of
from admitone.services.registration import buyer_registration_link
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/orders/<order_id>")
def get_order(order_id: OrderIdPath) -> OrderView:
    caller = principal(app)
    now = datetime.now(UTC)
    order = order_for(ports(), order_id, caller)
    link = buyer_registration_link(order, caller, now=now)
    tickets = tickets_of(ports(), order)
    return OrderView.of(
        order,
        now=now,
        tickets=tickets,
        mints=mints_of(ports(), order, tickets),
        viewer_id=caller.user_id,
        registration=RegistrationLinkView(token=link.token, deadline=link.deadline)
        if link
        else None,
    )


handler = http_handler(app)
