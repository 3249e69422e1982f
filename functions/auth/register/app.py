"""POST /auth/register: the same 201 for new and known addresses (no enumeration)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.http.inputs import EmailAddress
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.register import register

app = http_resolver()


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    password: str = Field(max_length=1024)
    name: str = Field(min_length=1, max_length=100)


@app.post("/auth/register", status_code=201, openapi_extensions=documented(503))
def post_register(request: Annotated[RegisterRequest, Body()]) -> tuple[dict[str, Any], int]:
    register(request.email, request.password, request.name)
    return {
        "status": "pending_verification",
        "detail": "Check your inbox to verify your e-mail address.",
    }, 201


handler = http_handler(app)
