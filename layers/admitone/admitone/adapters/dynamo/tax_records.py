"""Sellers' tax records in the single table (RULES §18).

Items:
- ``TaxProfileRecord`` at ``keys.tax_profile``: ``user_id``, ``legal_name``, ``tin_kind``,
  ``sealed_tin`` (``ports.envelopes``: never the TIN in clear), ``address`` (a map),
  ``updated_at``. Saved whole, in place of the previous one.
- ``SaleRecord`` at ``keys.tax_sale`` (a seller's year is one partition, oldest first):
  the sale's amounts, basis and dates. Put ``attribute_not_exists(PK)``; deleted
  (``attribute_exists(PK)``) when its resale is reversed.
- ``TaxYearRecord`` at ``keys.tax_year``: the year's sales summed; Put conditioned on
  every sum as read (``attribute_not_exists(PK)`` for the first; a sale reversed and
  another recorded between a read and its write leave the count as it was, not the
  sums); GSI3
  ``TAX_FORMS#<year>`` / ``<seller>`` once its gross proceeds reach the threshold, so
  the sellers who need a form are one index partition per year (no scan).
- ``AcquisitionRecord`` at ``keys.ticket_acquisition``: what a holder last paid for a
  ticket on resale; Put unconditionally (a buyer who buys the ticket again pays anew).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.items import (
    InstantAttribute,
    IntegerAttribute,
    PlainMapAttribute,
    TableItem,
    load,
    put_record,
    serialized_key,
)
from admitone.adapters.dynamo.table import instant
from admitone.adapters.dynamo.transaction import Transaction
from admitone.config import settings
from admitone.domain.errors import Conflict, Contention
from admitone.domain.tax_forms import (
    Acquisition,
    BasisSource,
    PayeeAddress,
    Sale,
    TaxProfile,
    TaxYear,
    TinKind,
)
from admitone.ports.tax_records import Position, TaxChanges, TaxProfiles, TaxRecords


class TaxProfileRecord(TableItem, discriminator="tax_profile"):
    user_id = UnicodeAttribute()
    legal_name = UnicodeAttribute()
    tin_kind = UnicodeAttribute()
    sealed_tin = UnicodeAttribute()
    address = PlainMapAttribute()
    updated_at = InstantAttribute()


def _to_record(profile: TaxProfile) -> TaxProfileRecord:
    address = profile.address
    return TaxProfileRecord.at(
        keys.tax_profile(profile.user_id),
        user_id=profile.user_id,
        legal_name=profile.legal_name,
        tin_kind=profile.tin_kind.value,
        sealed_tin=profile.sealed_tin,
        address={
            "line1": address.line1,
            "line2": address.line2,
            "city": address.city,
            "state": address.state,
            "postal_code": address.postal_code,
            "country": address.country,
        },
        updated_at=profile.updated_at,
    )


def _to_profile(record: TaxProfileRecord) -> TaxProfile:
    address = record.address
    return TaxProfile(
        user_id=record.user_id,
        legal_name=record.legal_name,
        tin_kind=TinKind(record.tin_kind),
        sealed_tin=record.sealed_tin,
        address=PayeeAddress(
            line1=address["line1"],
            line2=address["line2"],
            city=address["city"],
            state=address["state"],
            postal_code=address["postal_code"],
            country=address["country"],
        ),
        updated_at=record.updated_at,
    )


class DynamoTaxProfiles(TaxProfiles):
    def get(self, user_id: str) -> TaxProfile | None:
        record = load(TaxProfileRecord, keys.tax_profile(user_id), consistent=True)
        return _to_profile(record) if record else None

    def save(self, profile: TaxProfile) -> None:
        client("dynamodb").put_item(
            TableName=settings().table_name, Item=_to_record(profile).attributes()
        )


class SaleRecord(TableItem, discriminator="tax_sale"):
    escrow_id = UnicodeAttribute()
    seller_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    price_cents = IntegerAttribute()
    transaction_costs_cents = IntegerAttribute()
    gross_proceeds_cents = IntegerAttribute()
    cost_basis_cents = IntegerAttribute(null=True)
    basis_source = UnicodeAttribute()
    acquired_at = InstantAttribute(null=True)
    disposed_at = InstantAttribute()


class TaxYearRecord(TableItem, discriminator="tax_year"):
    seller_id = UnicodeAttribute()
    year = IntegerAttribute()
    sales = IntegerAttribute()
    gross_proceeds_cents = IntegerAttribute()
    cost_basis_cents = IntegerAttribute()
    gain_cents = IntegerAttribute()
    basis_unknown_sales = IntegerAttribute()


class AcquisitionRecord(TableItem, discriminator="ticket_acquisition"):
    ticket_id = UnicodeAttribute()
    holder_id = UnicodeAttribute()
    cost_cents = IntegerAttribute()
    acquired_at = InstantAttribute()
    source = UnicodeAttribute()


def _sale_record(sale: Sale) -> SaleRecord:
    return SaleRecord.at(
        keys.tax_sale(sale.seller_id, sale.year, instant(sale.disposed_at), sale.escrow_id),
        escrow_id=sale.escrow_id,
        seller_id=sale.seller_id,
        event_id=sale.event_id,
        ticket_id=sale.ticket_id,
        currency=sale.currency,
        price_cents=sale.price_cents,
        transaction_costs_cents=sale.transaction_costs_cents,
        gross_proceeds_cents=sale.gross_proceeds_cents,
        cost_basis_cents=sale.cost_basis_cents,
        basis_source=sale.basis_source.value,
        acquired_at=sale.acquired_at,
        disposed_at=sale.disposed_at,
    )


def _to_sale(record: SaleRecord) -> Sale:
    return Sale(
        escrow_id=record.escrow_id,
        seller_id=record.seller_id,
        event_id=record.event_id,
        ticket_id=record.ticket_id,
        currency=record.currency,
        price_cents=record.price_cents,
        transaction_costs_cents=record.transaction_costs_cents,
        gross_proceeds_cents=record.gross_proceeds_cents,
        cost_basis_cents=record.cost_basis_cents,
        basis_source=BasisSource(record.basis_source),
        acquired_at=record.acquired_at,
        disposed_at=record.disposed_at,
    )


def _year_record(year: TaxYear) -> TaxYearRecord:
    listed = year.form_required
    return TaxYearRecord.at(
        keys.tax_year(year.seller_id, year.year),
        seller_id=year.seller_id,
        year=year.year,
        sales=year.sales,
        gross_proceeds_cents=year.gross_proceeds_cents,
        cost_basis_cents=year.cost_basis_cents,
        gain_cents=year.gain_cents,
        basis_unknown_sales=year.basis_unknown_sales,
        GSI3PK=keys.tax_forms_of_year(year.year) if listed else None,
        GSI3SK=year.seller_id if listed else None,
    )


def _to_year(record: TaxYearRecord) -> TaxYear:
    return TaxYear(
        seller_id=record.seller_id,
        year=record.year,
        sales=record.sales,
        gross_proceeds_cents=record.gross_proceeds_cents,
        cost_basis_cents=record.cost_basis_cents,
        gain_cents=record.gain_cents,
        basis_unknown_sales=record.basis_unknown_sales,
    )


class DynamoTaxRecords(TaxRecords):
    def acquisition(self, ticket_id: str, holder_id: str) -> Acquisition | None:
        record = load(
            AcquisitionRecord, keys.ticket_acquisition(ticket_id, holder_id), consistent=True
        )
        if record is None:
            return None
        return Acquisition(
            ticket_id=record.ticket_id,
            holder_id=record.holder_id,
            cost_cents=record.cost_cents,
            acquired_at=record.acquired_at,
            source=BasisSource(record.source),
        )

    def year(self, seller_id: str, year: int) -> TaxYear | None:
        record = load(TaxYearRecord, keys.tax_year(seller_id, year), consistent=True)
        return _to_year(record) if record else None

    def sale(self, seller_id: str, disposed_at: datetime, escrow_id: str) -> Sale | None:
        key = keys.tax_sale(seller_id, disposed_at.year, instant(disposed_at), escrow_id)
        record = load(SaleRecord, key, consistent=True)
        return _to_sale(record) if record else None

    def sales(self, seller_id: str, year: int) -> list[Sale]:
        partition = keys.tax_sale(seller_id, year, "", "")["PK"]
        items = table.query_partition(partition, sk_prefix="SALE#", consistent=True)
        return [_to_sale(SaleRecord.from_raw(table.to_attributes(item))) for item in items]

    def years_over_threshold(
        self, year: int, *, limit: int, start: Position | None
    ) -> tuple[list[TaxYear], dict[str, str] | None]:
        items, resume = table.index_page(
            "GSI3", keys.tax_forms_of_year(year), limit=limit, start_key=start
        )
        # Only sellers' years live in these index partitions.
        years = [_to_year(TaxYearRecord.from_raw(table.to_attributes(item))) for item in items]
        return years, resume


class DynamoTaxChanges(TaxChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def record_sale(
        self, sale: Sale, *, before: TaxYear | None, after: TaxYear, bought: Acquisition
    ) -> None:
        self._transaction.stage(
            f"tax sale {sale.escrow_id}",
            put_record(_sale_record(sale), condition="attribute_not_exists(PK)"),
            error=Conflict("This sale is recorded already."),
        )
        self._stage_year(before, after)
        acquisition = AcquisitionRecord.at(
            keys.ticket_acquisition(bought.ticket_id, bought.holder_id),
            ticket_id=bought.ticket_id,
            holder_id=bought.holder_id,
            cost_cents=bought.cost_cents,
            acquired_at=bought.acquired_at,
            source=bought.source.value,
        )
        self._transaction.stage(
            f"acquisition {bought.ticket_id} {bought.holder_id}",
            {"Put": {"TableName": settings().table_name, "Item": acquisition.attributes()}},
        )

    def reverse_sale(self, sale: Sale, *, before: TaxYear, after: TaxYear) -> None:
        key = keys.tax_sale(sale.seller_id, sale.year, instant(sale.disposed_at), sale.escrow_id)
        self._transaction.stage(
            f"tax sale {sale.escrow_id}",
            {
                "Delete": {
                    "TableName": settings().table_name,
                    "Key": serialized_key(key),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            error=Conflict("This sale is reversed already."),
        )
        self._stage_year(before, after)

    def _stage_year(self, before: TaxYear | None, after: TaxYear) -> None:
        if before is None:
            year = put_record(_year_record(after), condition="attribute_not_exists(PK)")
        else:
            sums = {name: getattr(before, name) for name in _SUMS}
            year = put_record(
                _year_record(after),
                condition=" AND ".join(f"{name} = :{name}" for name in _SUMS),
                values={f":{name}": value for name, value in sums.items()},
            )
        self._transaction.stage(
            f"tax year {after.seller_id} {after.year}",
            year,
            error=Contention("The seller's tax year moved meanwhile; try again."),
        )


# A year is as read when every sum is: the count alone could have come back to itself.
_SUMS = (
    "sales",
    "gross_proceeds_cents",
    "cost_basis_cents",
    "gain_cents",
    "basis_unknown_sales",
)
