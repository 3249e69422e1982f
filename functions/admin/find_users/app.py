"""GET /admin/users?email=: find a user by address (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.domain.jwt_tokens import Role
from admitone.http.inputs import EmailAddress
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import UserView
from admitone.services.user_admin import find_users

app = http_resolver()


@app.get("/admin/users", openapi_extensions=documented(403))
def get_users(email: Annotated[EmailAddress, Query()]) -> dict[str, Any]:
    principal(app, Role.ADMIN)
    return {"users": [UserView.of(user).model_dump(mode="json") for user in find_users(email)]}


handler = http_handler(app)
