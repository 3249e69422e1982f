"""Sellers' tax profiles in the single table (RULES §18).

Items:
- ``TaxProfileRecord`` at ``keys.tax_profile``: ``user_id``, ``legal_name``, ``tin_kind``,
  ``sealed_tin`` (``ports.envelopes``: never the TIN in clear), ``address`` (a map),
  ``updated_at``. Saved whole, in place of the previous one.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.items import (
    InstantAttribute,
    PlainMapAttribute,
    TableItem,
    load,
)
from admitone.config import settings
from admitone.domain.tax_forms import PayeeAddress, TaxProfile, TinKind
from admitone.ports.tax_records import TaxProfiles


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
