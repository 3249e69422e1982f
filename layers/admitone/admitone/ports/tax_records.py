"""Sellers' tax records (RULES §18): tax profiles; the sales a release records for
1099-DA with each seller's year summed; what each holder paid for a ticket.

A profile is saved whole (a PUT). A sale is recorded in the unit of work that releases
its escrow, with its seller's year moved from the version it was read in (``sales``):
of two changes of one seller's year at once, one lands and the other's commit raises
``Contention`` (nothing written; the release is retried). A release reversed (its event
cancelled) takes its sale out again in the reversal's unit of work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime

from admitone.domain.tax_forms import Acquisition, Sale, TaxProfile, TaxYear

Position = Mapping[str, str]


class TaxProfiles(ABC):
    @abstractmethod
    def get(self, user_id: str) -> TaxProfile | None: ...

    @abstractmethod
    def save(self, profile: TaxProfile) -> None:
        """Store ``profile`` in place of the user's previous one, if any."""


class TaxRecords(ABC):
    @abstractmethod
    def acquisition(self, ticket_id: str, holder_id: str) -> Acquisition | None:
        """What ``holder_id`` last paid for the ticket on resale (None: never bought it
        on resale)."""

    @abstractmethod
    def year(self, seller_id: str, year: int) -> TaxYear | None:
        """The seller's sales of ``year`` summed (None: no sale that year)."""

    @abstractmethod
    def sale(self, seller_id: str, disposed_at: datetime, escrow_id: str) -> Sale | None:
        """The sale an escrow released at ``disposed_at`` recorded (None: none)."""

    @abstractmethod
    def sales(self, seller_id: str, year: int) -> list[Sale]:
        """Every sale of the seller in ``year``, oldest first."""

    @abstractmethod
    def years_over_threshold(
        self, year: int, *, limit: int, start: Position | None
    ) -> tuple[list[TaxYear], dict[str, str] | None]:
        """One page of the sellers' years of ``year`` that need a form (by seller id),
        from an index keyed by the year alone, and the position after it."""


class TaxChanges(ABC):
    @abstractmethod
    def record_sale(
        self, sale: Sale, *, before: TaxYear | None, after: TaxYear, bought: Acquisition
    ) -> None:
        """Stage ``sale`` (once per escrow: ``Conflict`` if recorded already), the
        seller's year moved from ``before`` (as read: ``Contention`` otherwise) to
        ``after``, and the buyer's acquisition of the ticket (``bought``)."""

    @abstractmethod
    def reverse_sale(self, sale: Sale, *, before: TaxYear, after: TaxYear) -> None:
        """Stage the deletion of ``sale`` (``Conflict`` if it is gone already) and the
        seller's year moved from ``before`` (as read: ``Contention`` otherwise) to
        ``after``."""
