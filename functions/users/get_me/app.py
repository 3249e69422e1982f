"""GET /me: the caller's own profile."""

from __future__ import annotations

from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import UserView
from admitone.services.profile import get_profile

app = http_resolver()


@app.get("/me")
def get_me() -> UserView:
    return UserView.of(get_profile(principal(app).user_id))


handler = http_handler(app)
