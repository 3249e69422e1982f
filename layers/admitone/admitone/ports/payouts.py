"""Payouts (RULES §10, §13): reading them and where they go, and the changes to payouts
a unit of work stages.

A payout is created once (its id is new) together with its payee's day sum in its
currency, which must still be the sum read (two payouts never both count the same
headroom under the daily limit); afterwards it moves only from ``in_transit``, once:
of two runs settling one payout exactly one lands.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.payouts import Payee, Payout, PayoutAccount


class Payouts(ABC):
    @abstractmethod
    def get(self, payee: Payee, payout_id: str) -> Payout | None: ...

    @abstractmethod
    def of_payee(self, payee: Payee) -> list[Payout]:
        """The payee's payouts, newest first."""

    @abstractmethod
    def paid_out_on(self, payee: Payee, day: str, currency: str) -> int:
        """What the payee's payouts in ``currency`` of one UTC day (``YYYY-MM-DD``) add
        up to."""

    @abstractmethod
    def account(self, payee: Payee) -> PayoutAccount | None:
        """The connected account the payee's payouts go to, if one is linked."""

    @abstractmethod
    def link_account(self, account: PayoutAccount) -> None:
        """Make ``account`` the one the payee's payouts go to (replacing any before)."""


class PayoutChanges(ABC):
    @abstractmethod
    def request(self, payout: Payout, *, day: str, paid_today: int) -> None:
        """Stage a new payout (the commit raises ``Conflict`` if its id exists) and add
        its amount to the payee's sum of ``day``, only while that sum is still
        ``paid_today`` (otherwise ``PayoutDayMoved``)."""

    @abstractmethod
    def settle(self, before: Payout, after: Payout) -> None:
        """Stage ``after`` (paid or failed) over the stored payout, only while it is
        still in ``before``'s status; otherwise the commit raises ``PayoutMoved``."""
