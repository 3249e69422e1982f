"""DELETE /admin/users/{user_id}/suspension: lift a user's suspension (admins only)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from admitone.domain.jwt_tokens import Role
from admitone.http.inputs import UserIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.user_admin import reinstate

app = http_resolver()


@app.delete(
    "/admin/users/<user_id>/suspension",
    status_code=204,
    openapi_extensions=documented(403, 404),
)
def delete_suspension(user_id: UserIdPath) -> Response[str]:
    admin = principal(app, Role.ADMIN)
    reinstate(user_id, reinstated_by=admin.user_id)
    return Response(204, None, "")


handler = http_handler(app)
