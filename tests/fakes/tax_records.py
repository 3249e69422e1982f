"""Sellers' tax records in memory (as adapters/dynamo/tax_records.py)."""

from __future__ import annotations

import threading
from datetime import datetime

from admitone.domain.errors import Conflict, Contention
from admitone.domain.tax_forms import Acquisition, Sale, TaxProfile, TaxYear
from admitone.ports.tax_records import Position, TaxChanges, TaxProfiles, TaxRecords
from tests.fakes.transaction import FakeTransaction


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


class FakeTaxRecords(TaxRecords):
    def __init__(self) -> None:
        self.sales_by_escrow: dict[str, Sale] = {}
        self.years: dict[tuple[str, int], TaxYear] = {}
        self.acquisitions: dict[tuple[str, str], Acquisition] = {}

    def acquisition(self, ticket_id: str, holder_id: str) -> Acquisition | None:
        return self.acquisitions.get((ticket_id, holder_id))

    def year(self, seller_id: str, year: int) -> TaxYear | None:
        return self.years.get((seller_id, year))

    def sale(self, seller_id: str, disposed_at: datetime, escrow_id: str) -> Sale | None:
        found = self.sales_by_escrow.get(escrow_id)
        if found is None or (found.seller_id, found.disposed_at) != (seller_id, disposed_at):
            return None
        return found

    def sales(self, seller_id: str, year: int) -> list[Sale]:
        return sorted(
            (
                one
                for one in self.sales_by_escrow.values()
                if (one.seller_id, one.year) == (seller_id, year)
            ),
            key=lambda one: (one.disposed_at, one.escrow_id),
        )

    def years_over_threshold(
        self, year: int, *, limit: int, start: Position | None
    ) -> tuple[list[TaxYear], dict[str, str] | None]:
        after = (start or {}).get("after", "")
        rest = sorted(
            (
                one
                for (seller, of_year), one in self.years.items()
                if of_year == year and one.form_required and seller > after
            ),
            key=lambda one: one.seller_id,
        )
        page = rest[:limit]
        return page, ({"after": page[-1].seller_id} if len(rest) > limit else None)


class FakeTaxChanges(TaxChanges):
    def __init__(self, records: FakeTaxRecords, transaction: FakeTransaction) -> None:
        self._records = records
        self._transaction = transaction

    def record_sale(
        self, sale: Sale, *, before: TaxYear | None, after: TaxYear, bought: Acquisition
    ) -> None:
        records = self._records
        self._transaction.stage(
            f"tax sale {sale.escrow_id}",
            holds=lambda: sale.escrow_id not in records.sales_by_escrow,
            apply=lambda: records.sales_by_escrow.__setitem__(sale.escrow_id, sale),
            error=Conflict("This sale is recorded already."),
        )
        self._stage_year(before, after)
        self._transaction.stage(
            f"acquisition {bought.ticket_id} {bought.holder_id}",
            holds=lambda: True,
            apply=lambda: records.acquisitions.__setitem__(
                (bought.ticket_id, bought.holder_id), bought
            ),
        )

    def reverse_sale(self, sale: Sale, *, before: TaxYear, after: TaxYear) -> None:
        records = self._records
        self._transaction.stage(
            f"tax sale {sale.escrow_id}",
            holds=lambda: sale.escrow_id in records.sales_by_escrow,
            apply=lambda: records.sales_by_escrow.pop(sale.escrow_id),
            error=Conflict("This sale is reversed already."),
        )
        self._stage_year(before, after)

    def _stage_year(self, before: TaxYear | None, after: TaxYear) -> None:
        records = self._records
        key = (after.seller_id, after.year)
        self._transaction.stage(
            f"tax year {after.seller_id} {after.year}",
            holds=lambda: records.years.get(key) == before,
            apply=lambda: records.years.__setitem__(key, after),
            error=Contention("The seller's tax year moved meanwhile; try again."),
        )
