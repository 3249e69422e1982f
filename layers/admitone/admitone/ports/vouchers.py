"""Voucher codes: the changes to their uses and budget a unit of work stages."""

from __future__ import annotations

from abc import ABC, abstractmethod


class VoucherChanges(ABC):
    @abstractmethod
    def give_back(self, event_id: str, code: str, discount_cents: int) -> None:
        """Stage one use and ``discount_cents`` of budget returned (an order that used the
        code ended unpaid). A voucher gone, or with less recorded, raises
        ``ChangeRefused`` at commit: a bug."""
