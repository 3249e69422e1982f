"""GET /me/tax-forms/{year}: the caller's 1099-DA data of a calendar year (from 2025):
``required`` once their gross resale proceeds reach $600, every sale, the TIN masked."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.tax_views import TaxFormView
from admitone.services.tax_forms import form_of
from admitone.services.wiring import ports

app = http_resolver()


@app.get("/me/tax-forms/<year>", openapi_extensions=documented(422))
def get_my_tax_form(year: Annotated[int, Path(ge=2025, le=9999)]) -> TaxFormView:
    return TaxFormView.of(form_of(ports(), principal(app), year))


handler = http_handler(app)
