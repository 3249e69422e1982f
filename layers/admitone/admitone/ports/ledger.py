"""The ledger's bookings a unit of work stages with the change they record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime

from admitone.domain.ledger import Account, Transaction
from admitone.domain.royalties import RoyaltyBooking


class LedgerChanges(ABC):
    @abstractmethod
    def book(
        self,
        transactions: Sequence[Transaction],
        *,
        now: datetime,
        held: Mapping[Account, int] | None = None,
    ) -> None:
        """Book ``transactions`` once each (a transaction id booked already refuses the
        change) and move the balance of every account they touch.

        ``held`` accounts (those kept as one item: a venue's available and reserved
        balances, a seller's pending and payable proceeds) move only while their
        balance (debit positive) is still the one given (a held account the
        transactions do not move is only checked): otherwise the commit raises
        ``BalanceMoved``, nothing written."""


class Ledger(ABC):
    @abstractmethod
    def balance(self, account: Account) -> int:
        """An account's balance, debit positive (0 when nothing was booked to it)."""

    @abstractmethod
    def seller_accounts(self, seller_id: str) -> list[tuple[Account, int]]:
        """Every account of a seller (pending proceeds per event, payable per currency)
        with its balance, debit positive."""

    @abstractmethod
    def royalty_bookings(
        self, venue_id: str, *, since: datetime, until: datetime
    ) -> list[RoyaltyBooking]:
        """The venue's resale royalties booked at ``since`` <= booked < ``until``: one per
        resale released or reversed, oldest first."""
