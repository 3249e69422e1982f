"""POST /auth/login: an access token and a refresh token."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.inputs import EmailAddress
from admitone.http.problems import documented
from admitone.http.rate_limiting import client_of
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import TokenPairView
from admitone.services.login import login

app = http_resolver()


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    password: str = Field(max_length=1024)


@app.post("/auth/login", openapi_extensions=documented(401, 403, 429, 503))
def post_login(request: Annotated[LoginRequest, Body()]) -> TokenPairView:
    source = client_of(app.current_event.raw_event).ip
    pair = login(request.email, request.password, source=source)
    return TokenPairView.model_validate(pair, from_attributes=True)


handler = http_handler(app)
