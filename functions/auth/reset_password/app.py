"""POST /auth/password/reset: new password; every session of the user is revoked."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.password_reset import reset_password

app = http_resolver()


class ResetPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=2048)
    password: str = Field(max_length=1024)


@app.post("/auth/password/reset", status_code=204, openapi_extensions=documented(401, 409, 503))
def post_reset_password(request: Annotated[ResetPasswordRequest, Body()]) -> Response[str]:
    reset_password(request.token, request.password)
    return Response(status_code=204, body="")


handler = http_handler(app)
