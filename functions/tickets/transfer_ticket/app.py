"""POST /tickets/{ticket_id}/transfer: the holder hands the ticket to someone else by
e-mail; the ticket gets a new QR and the old one stops admitting."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tickets import ATTENDEE_NAME_MAX_LENGTH
from admitone.http.inputs import EmailAddress, TicketIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import TicketView
from admitone.services.tickets import transfer_ticket
from admitone.services.wiring import ports

app = http_resolver()


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    name: str | None = Field(default=None, min_length=1, max_length=ATTENDEE_NAME_MAX_LENGTH)


@app.post("/tickets/<ticket_id>/transfer", openapi_extensions=documented(409))
def post_transfer(
    ticket_id: TicketIdPath, request: Annotated[TransferRequest, Body()]
) -> TicketView:
    caller = principal(app)
    moved = transfer_ticket(ports(), ticket_id, caller, email=request.email, name=request.name)
    # The caller no longer holds it: no QR token in the answer.
    return TicketView.of(moved, viewer_id=caller.user_id)


handler = http_handler(app)
