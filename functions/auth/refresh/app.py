"""POST /auth/refresh: rotate the refresh token; a reused one revokes its family (401)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.problems import documented
from admitone.http.rate_limiting import client_of
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import TokenPairView
from admitone.services.refresh_session import refresh_session

app = http_resolver()


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


@app.post("/auth/refresh", openapi_extensions=documented(401, 503))
def post_refresh(request: Annotated[RefreshRequest, Body()]) -> TokenPairView:
    source = client_of(app.current_event.raw_event).ip
    pair = refresh_session(request.refresh_token, source=source)
    return TokenPairView.model_validate(pair, from_attributes=True)


handler = http_handler(app)
