"""What the API shows of tax profiles and tax forms (RULES §18): a TIN only ever masked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.tax_forms import (
    ADDRESS_LINE_MAX,
    CITY_MAX,
    FORM_THRESHOLD_CENTS,
    BasisSource,
    PayeeAddress,
    Sale,
    ShownProfile,
    TaxYear,
    TinKind,
)

# Named by the form views' constructors only (the services are the functions' to load).
if TYPE_CHECKING:
    from admitone.services.tax_forms import TaxForm, TaxFormPage


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


class SaleView(BaseModel):
    """One resale as Form 1099-DA reports it; amounts in cents of ``currency``."""

    escrow_id: str
    event_id: str
    ticket_id: str
    currency: str
    sale_price_cents: int = Field(description="What the buyer paid for the ticket.")
    transaction_costs_cents: int = Field(description="Royalties and platform share withheld.")
    gross_proceeds_cents: int = Field(description="sale_price_cents - transaction_costs_cents")
    cost_basis_cents: int | None = Field(description="What the seller paid; null: not known")
    basis_source: BasisSource
    gain_cents: int | None = Field(description="Gross proceeds less basis; null: basis unknown")
    acquired_at: datetime | None
    disposed_at: datetime

    @classmethod
    def of(cls, sale: Sale) -> SaleView:
        return cls(
            escrow_id=sale.escrow_id,
            event_id=sale.event_id,
            ticket_id=sale.ticket_id,
            currency=sale.currency,
            sale_price_cents=sale.price_cents,
            transaction_costs_cents=sale.transaction_costs_cents,
            gross_proceeds_cents=sale.gross_proceeds_cents,
            cost_basis_cents=sale.cost_basis_cents,
            basis_source=sale.basis_source,
            gain_cents=sale.gain_cents,
            acquired_at=sale.acquired_at,
            disposed_at=sale.disposed_at,
        )


class TaxTotalsView(BaseModel):
    sales: int
    gross_proceeds_cents: int
    cost_basis_cents: int = Field(description="Of the sales whose basis is known.")
    gain_cents: int = Field(description="Of the sales whose basis is known.")
    basis_unknown_sales: int

    @classmethod
    def of(cls, year: TaxYear) -> TaxTotalsView:
        return cls(
            sales=year.sales,
            gross_proceeds_cents=year.gross_proceeds_cents,
            cost_basis_cents=year.cost_basis_cents,
            gain_cents=year.gain_cents,
            basis_unknown_sales=year.basis_unknown_sales,
        )


class PayeeView(BaseModel):
    legal_name: str
    tin_kind: TinKind
    tin_masked: str
    address: PayeeAddressModel

    @classmethod
    def of(cls, payee: ShownProfile | None) -> PayeeView | None:
        if payee is None:
            return None
        return cls(
            legal_name=payee.legal_name,
            tin_kind=payee.tin_kind,
            tin_masked=payee.tin_masked,
            address=PayeeAddressModel.of(payee.address),
        )


class TaxFormView(BaseModel):
    """A seller's 1099-DA data of one calendar year. ``required``: their gross proceeds
    reached ``threshold_cents``, so a form is filed; below it the same figures show, and
    no form is filed."""

    seller_id: str
    year: int
    required: bool
    threshold_cents: int = FORM_THRESHOLD_CENTS
    totals: TaxTotalsView
    payee: PayeeView | None = Field(description="From the tax profile; null: none saved")
    sales: list[SaleView]

    @classmethod
    def of(cls, form: TaxForm) -> TaxFormView:
        return cls(
            seller_id=form.seller_id,
            year=form.year,
            required=form.required,
            totals=TaxTotalsView.of(form.totals),
            payee=PayeeView.of(form.payee),
            sales=[SaleView.of(one) for one in form.sales],
        )


class AdminTaxForm(BaseModel):
    seller_id: str
    year: int
    totals: TaxTotalsView
    payee: PayeeView | None = Field(description="From the tax profile; null: none saved")


class TaxFormPageView(BaseModel):
    forms: list[AdminTaxForm]
    next_cursor: str | None

    @classmethod
    def of(cls, page: TaxFormPage) -> TaxFormPageView:
        return cls(
            forms=[
                AdminTaxForm(
                    seller_id=form.seller_id,
                    year=form.year,
                    totals=TaxTotalsView.of(form.totals),
                    payee=PayeeView.of(form.payee),
                )
                for form in page.forms
            ],
            next_cursor=page.next_cursor,
        )
