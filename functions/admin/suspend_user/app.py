"""PUT /admin/users/{user_id}/suspension: suspend a user and end their sessions (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.jwt_tokens import Role
from admitone.http.inputs import UserIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.user_admin import suspend

app = http_resolver()


class SuspendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, min_length=1, max_length=500)


class SuspensionView(BaseModel):
    user_id: str
    suspended_at: datetime
    reason: str | None


@app.put("/admin/users/<user_id>/suspension", openapi_extensions=documented(403, 404, 409))
def put_suspension(
    user_id: UserIdPath, request: Annotated[SuspendRequest, Body()]
) -> SuspensionView:
    admin = principal(app, Role.ADMIN)
    user = suspend(user_id, reason=request.reason, suspended_by=admin.user_id)
    assert user.suspended_at is not None  # suspend() set it
    return SuspensionView(
        user_id=user.id, suspended_at=user.suspended_at, reason=user.suspension_reason
    )


handler = http_handler(app)
