"""GET /tickets/{ticket_id}/qr?format=png|svg: the holder's current QR token as an image."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.adapters.qr import render_png, render_svg
from admitone.http.inputs import TicketIdPath
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.tickets import held_ticket

app = http_resolver()

# The image is the ticket: no shared cache may keep it, and a transfer must replace it.
_NO_STORE = {"Cache-Control": "private, no-store"}


# No return annotation on purpose: Powertools validates an annotated body as JSON, and
# an image is bytes (the resolver base64-encodes them for API Gateway).
@app.get(
    "/tickets/<ticket_id>/qr",
    responses={
        200: {
            "description": "The QR code: PNG by default, SVG with ?format=svg.",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
        }
    },
)
def get_ticket_qr(
    ticket_id: TicketIdPath, *, format: Annotated[Literal["png", "svg"], Query()] = "png"
):
    ticket = held_ticket(ticket_id, principal(app))
    if format == "svg":
        return Response(200, "image/svg+xml", render_svg(ticket.token), _NO_STORE)
    return Response(200, "image/png", render_png(ticket.token), _NO_STORE)


handler = http_handler(app)
