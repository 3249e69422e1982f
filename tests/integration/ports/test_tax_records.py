"""The tax records port: a tax profile reads back as saved, and a second save replaces it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from admitone.domain.ids import Prefix, new_id
from admitone.domain.tax_forms import PayeeAddress, TaxProfile, TinKind
from admitone.ports.store import Store

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def test_a_tax_profile_reads_back_as_saved_and_a_second_save_replaces_it(store: Store):
    profile = TaxProfile(
        user_id=new_id(Prefix.USER, now=NOW),
        legal_name="Ada Lovelace",
        tin_kind=TinKind.SSN,
        sealed_tin="env1.a.b.c",
        address=PayeeAddress(
            line1="1 Music Row", city="Nashville", state="TN", postal_code="37203"
        ),
        updated_at=NOW,
    )
    assert store.tax_profiles.get(profile.user_id) is None

    store.tax_profiles.save(profile)
    assert store.tax_profiles.get(profile.user_id) == profile

    moved = replace(
        profile,
        address=replace(profile.address, line2="Suite 5", state="PR", postal_code="00901"),
        tin_kind=TinKind.EIN,
        sealed_tin="env1.d.e.f",
    )
    store.tax_profiles.save(moved)
    assert store.tax_profiles.get(profile.user_id) == moved
