"""Voucher redemptions a unit of work stages (so a 10-use code is redeemed 10 times,
never 11)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from admitone.domain.catalog import Voucher
from admitone.ports.staging import Staged


class VoucherChanges(ABC):
    """Each write is staged under ``voucher <code>``; refused, it hands back the
    ``Voucher`` as it was (None when it is gone)."""

    @abstractmethod
    def redeem(self, voucher: Voucher, discount_cents: int, *, now: datetime) -> Staged[Voucher]:
        """One use and ``discount_cents`` of budget, refused unless the voucher exists,
        has a use and that much budget left and ``now`` is in its window. ``voucher`` is
        as the checkout read it: a budget lowered since is refused, one raised passes."""

    @abstractmethod
    def give_back(self, event_id: str, code: str, discount_cents: int) -> Staged[Voucher]:
        """Return one use and ``discount_cents`` (an order ended unpaid); refused unless
        the voucher has that much recorded."""
