"""POST /auth/logout: revoke the refresh token's session family."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.logout import logout

app = http_resolver()


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


@app.post("/auth/logout", status_code=204, openapi_extensions=documented(401, 503))
def post_logout(request: Annotated[LogoutRequest, Body()]) -> Response[str]:
    logout(request.refresh_token)
    return Response(status_code=204, body="")


handler = http_handler(app)
