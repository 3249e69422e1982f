"""POST /venues/{venue_id}/staff: the venue's organizer gives someone (by e-mail; an
account is made for a new address) a gate role: scanner or supervisor."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict

from admitone.domain.gate_access import StaffRole
from admitone.http.inputs import EmailAddress, VenueIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import StaffMemberView
from admitone.services.gate_access import add_staff

app = http_resolver()


class AddStaffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    role: StaffRole


@app.post("/venues/<venue_id>/staff", status_code=201, openapi_extensions=documented(409))
def post_staff(
    venue_id: VenueIdPath, request: Annotated[AddStaffRequest, Body()]
) -> tuple[StaffMemberView, int]:
    member = add_staff(venue_id, principal(app), email=request.email, role=request.role)
    return StaffMemberView.of(member), 201


handler = http_handler(app)
