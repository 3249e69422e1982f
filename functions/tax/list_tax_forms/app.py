"""GET /admin/tax-forms/{year}: every seller whose gross resale proceeds of the year
reached $600, by seller id, in cursor pages, the TIN masked (admins only)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from admitone.domain.jwt_tokens import Role
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.tax_views import TaxFormPageView
from admitone.services.tax_forms import forms_of_year
from admitone.services.wiring import ports

app = http_resolver()

DEFAULT_LIMIT = 20
# Each seller's masked TIN is one KMS Decrypt: a page stays well inside the timeout.
MAX_LIMIT = 50


@app.get("/admin/tax-forms/<year>", openapi_extensions=documented(400, 403, 422))
def list_tax_forms(
    year: Annotated[int, Path(ge=2025, le=9999)],
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TaxFormPageView:
    principal(app, Role.ADMIN)
    return TaxFormPageView.of(forms_of_year(ports(), year, limit=limit, cursor=cursor))


handler = http_handler(app)
