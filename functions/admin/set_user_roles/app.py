"""PUT /admin/users/{user_id}/roles: replace a user's roles (admins only)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.jwt_tokens import Role
from admitone.http.inputs import UserIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import UserView
from admitone.services.user_admin import set_roles

app = http_resolver()


class SetRolesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Role] = Field(min_length=1, max_length=4)


@app.put("/admin/users/<user_id>/roles", openapi_extensions=documented(403))
def put_roles(user_id: UserIdPath, request: Annotated[SetRolesRequest, Body()]) -> UserView:
    admin = principal(app, Role.ADMIN)
    return UserView.of(set_roles(user_id, tuple(request.roles), changed_by=admin.user_id))


handler = http_handler(app)
