"""GET /tickets/{ticket_id}: a ticket, for its holder (with its QR token), its event's
organizer or an admin, with its NFT's mint state; anyone else gets 404."""

from __future__ import annotations

from admitone.http.inputs import TicketIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import TicketView
from admitone.services.tickets import ticket_with_nft
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: TicketIdPath) -> TicketView:
    caller = principal(app)
    viewed = ticket_with_nft(ticket_id, caller, ports().store.mints)
    return TicketView.of(viewed.ticket, viewer_id=caller.user_id, mint=viewed.nft)


handler = http_handler(app)
