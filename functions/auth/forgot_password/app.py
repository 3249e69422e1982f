"""POST /auth/password/forgot: always 202, whether or not the address has an account."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict

from admitone.http.inputs import EmailAddress
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.password_reset import forgot_password

app = http_resolver()


class ForgotPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress


@app.post("/auth/password/forgot", status_code=202, openapi_extensions=documented(503))
def post_forgot_password(
    request: Annotated[ForgotPasswordRequest, Body()],
) -> tuple[dict[str, Any], int]:
    forgot_password(request.email)
    return {
        "status": "accepted",
        "detail": "If the address has an account, a reset link is on its way.",
    }, 202


handler = http_handler(app)
