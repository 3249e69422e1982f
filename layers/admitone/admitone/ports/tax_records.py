"""Sellers' tax profiles (RULES §18): reading one, and saving one whole (a PUT)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.tax_forms import TaxProfile


class TaxProfiles(ABC):
    @abstractmethod
    def get(self, user_id: str) -> TaxProfile | None: ...

    @abstractmethod
    def save(self, profile: TaxProfile) -> None:
        """Store ``profile`` in place of the user's previous one, if any."""
