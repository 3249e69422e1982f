"""Sellers' tax records in memory (as adapters/dynamo/tax_records.py)."""

from __future__ import annotations

import threading

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
        year_key = (after.seller_id, after.year)

        def year_as_read() -> bool:
            stored = records.years.get(year_key)
            return (
                stored is None
                if before is None
                else (stored is not None and stored.sales == before.sales)
            )

        self._transaction.stage(
            f"tax sale {sale.escrow_id}",
            holds=lambda: sale.escrow_id not in records.sales_by_escrow,
            apply=lambda: records.sales_by_escrow.__setitem__(sale.escrow_id, sale),
            error=Conflict("This sale is recorded already."),
        )
        self._transaction.stage(
            f"tax year {after.seller_id} {after.year}",
            holds=year_as_read,
            apply=lambda: records.years.__setitem__(year_key, after),
            error=Contention("The seller's tax year moved meanwhile; try again."),
        )
        self._transaction.stage(
            f"acquisition {bought.ticket_id} {bought.holder_id}",
            holds=lambda: True,
            apply=lambda: records.acquisitions.__setitem__(
                (bought.ticket_id, bought.holder_id), bought
            ),
        )
