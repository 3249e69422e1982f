"""POST /auth/verify-email: spend the one-time verification token."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.verify_email import verify_email

app = http_resolver()


class VerifyEmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=2048)


@app.post("/auth/verify-email", openapi_extensions=documented(401, 409, 503))
def post_verify_email(request: Annotated[VerifyEmailRequest, Body()]) -> dict[str, Any]:
    verify_email(request.token)
    return {"status": "verified"}


handler = http_handler(app)
