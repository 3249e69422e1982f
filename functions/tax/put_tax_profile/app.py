"""PUT /me/tax-profile: the caller's legal name, TIN and US address for 1099-DA forms
(RULES §18); the TIN is stored sealed and shown masked."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tax_forms import LEGAL_NAME_MAX, TinKind
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.tax_views import PayeeAddressModel, TaxProfileView
from admitone.services.tax_profiles import save_tax_profile
from admitone.services.wiring import ports

app = http_resolver()


class TaxProfileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: str = Field(min_length=1, max_length=LEGAL_NAME_MAX)
    tin_kind: TinKind
    # Nine digits, dashed or not; checked by kind (domain/tax_forms.normalized_tin).
    tin: str = Field(min_length=9, max_length=11, pattern=r"^[0-9-]+$")
    address: PayeeAddressModel


@app.put("/me/tax-profile", openapi_extensions=documented(422))
def put_tax_profile(request: Annotated[TaxProfileRequest, Body()]) -> TaxProfileView:
    shown = save_tax_profile(
        ports(),
        principal(app),
        legal_name=request.legal_name,
        tin_kind=request.tin_kind,
        tin=request.tin,
        address=request.address.domain(),
    )
    return TaxProfileView.of(shown)


handler = http_handler(app)
