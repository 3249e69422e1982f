"""GET /me/tax-profile: the caller's tax profile as saved, the TIN masked."""

from __future__ import annotations

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.tax_views import TaxProfileView
from admitone.services.tax_profiles import tax_profile_of
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/me/tax-profile", openapi_extensions=documented(404))
def get_tax_profile() -> TaxProfileView:
    return TaxProfileView.of(tax_profile_of(ports(), principal(app)))


handler = http_handler(app)
