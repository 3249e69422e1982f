"""GET /registrations/{token}: what the purchaser's registration link shows: the order's
tickets, who each is for, and the deadline. The link token is the credential."""

from __future__ import annotations

from admitone.http.inputs import RegistrationTokenPath
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.ticket_views import RegistrationView
from admitone.services.registration import registration

app = http_resolver()


@app.get("/registrations/<token>", openapi_extensions=documented(401))
def get_registration(token: RegistrationTokenPath) -> RegistrationView:
    return RegistrationView.of(registration(token))


handler = http_handler(app)
