"""The ledger's bookings a unit of work stages with the change they record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from admitone.domain.ledger import Account, Transaction


class LedgerChanges(ABC):
    @abstractmethod
    def book(self, transactions: Sequence[Transaction], *, now: datetime) -> None:
        """Book ``transactions`` once each (a transaction id booked already refuses the
        change) and move the balance of every account they touch."""


class Ledger(ABC):
    @abstractmethod
    def balance(self, account: Account) -> int:
        """An account's balance, debit positive (0 when nothing was booked to it)."""
