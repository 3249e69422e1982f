"""POST /registrations/{token}: the purchaser names the attendee of each ticket before
the registration deadline (410 after it); naming the same people again is a no-op."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tickets import ATTENDEE_NAME_MAX_LENGTH
from admitone.http.inputs import EmailAddress, RegistrationTokenPath
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import RegistrationView
from admitone.services.registration import AttendeeEntry, name_attendees

app = http_resolver()

MAX_TICKETS = 50


class AttendeeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: str = Field(min_length=1, max_length=64)
    attendee_name: str = Field(min_length=1, max_length=ATTENDEE_NAME_MAX_LENGTH)
    attendee_email: EmailAddress


class RegistrationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: list[AttendeeInput] = Field(min_length=1, max_length=MAX_TICKETS)


@app.post("/registrations/<token>", openapi_extensions=documented(401, 409, 410))
def post_registration(
    token: RegistrationTokenPath, request: Annotated[RegistrationRequest, Body()]
) -> RegistrationView:
    entries = [
        AttendeeEntry(t.ticket_id, t.attendee_name, t.attendee_email) for t in request.tickets
    ]
    return RegistrationView.of(name_attendees(token, entries))


handler = http_handler(app)
