"""What the API shows of tax profiles and tax forms (RULES §18): a TIN only ever masked."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tax_forms import (
    ADDRESS_LINE_MAX,
    CITY_MAX,
    PayeeAddress,
    ShownProfile,
    TinKind,
)


class PayeeAddressModel(BaseModel):
    """A US address (request and response alike)."""

    model_config = ConfigDict(extra="forbid")

    line1: str = Field(min_length=1, max_length=ADDRESS_LINE_MAX)
    line2: str | None = Field(default=None, max_length=ADDRESS_LINE_MAX)
    city: str = Field(min_length=1, max_length=CITY_MAX)
    state: str = Field(pattern=r"^[A-Z]{2}$", description="USPS state, DC or territory code")
    postal_code: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")
    country: str = Field(default="US", pattern=r"^US$")

    def domain(self) -> PayeeAddress:
        return PayeeAddress(
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            state=self.state,
            postal_code=self.postal_code,
            country=self.country,
        )

    @classmethod
    def of(cls, address: PayeeAddress) -> PayeeAddressModel:
        return cls(
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            state=address.state,
            postal_code=address.postal_code,
            country=address.country,
        )


class TaxProfileView(BaseModel):
    legal_name: str
    tin_kind: TinKind
    tin_masked: str = Field(description="Only the last four digits: ***-**-6789 or **-***6789")
    address: PayeeAddressModel
    updated_at: datetime

    @classmethod
    def of(cls, profile: ShownProfile) -> TaxProfileView:
        return cls(
            legal_name=profile.legal_name,
            tin_kind=profile.tin_kind,
            tin_masked=profile.tin_masked,
            address=PayeeAddressModel.of(profile.address),
            updated_at=profile.updated_at,
        )
