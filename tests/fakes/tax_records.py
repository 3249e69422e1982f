"""Sellers' tax profiles in memory (as adapters/dynamo/tax_records.py)."""

from __future__ import annotations

import threading

from admitone.domain.tax_forms import TaxProfile
from admitone.ports.tax_records import TaxProfiles


class FakeTaxProfiles(TaxProfiles):
    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self.profiles: dict[str, TaxProfile] = {}

    def get(self, user_id: str) -> TaxProfile | None:
        with self._lock:
            return self.profiles.get(user_id)

    def save(self, profile: TaxProfile) -> None:
        with self._lock:
            self.profiles[profile.user_id] = profile
