"""Payouts and payout accounts, in memory (as adapters/dynamo/payouts.py)."""

from __future__ import annotations

from admitone.domain.errors import Conflict
from admitone.domain.payouts import (
    Payee,
    Payout,
    PayoutAccount,
    PayoutDayMoved,
    PayoutMoved,
)
from admitone.ports.payouts import PayoutChanges, Payouts
from tests.fakes.transaction import FakeTransaction


class FakePayouts(Payouts):
    def __init__(self) -> None:
        self.payouts: dict[tuple[Payee, str], Payout] = {}
        self.days: dict[tuple[Payee, str, str], int] = {}
        self.accounts: dict[Payee, PayoutAccount] = {}

    def get(self, payee: Payee, payout_id: str) -> Payout | None:
        return self.payouts.get((payee, payout_id))

    def of_payee(self, payee: Payee) -> list[Payout]:
        mine = [payout for (who, _), payout in self.payouts.items() if who == payee]
        return sorted(mine, key=lambda p: p.created_at, reverse=True)

    def paid_out_on(self, payee: Payee, day: str, currency: str) -> int:
        return self.days.get((payee, day, currency), 0)

    def account(self, payee: Payee) -> PayoutAccount | None:
        return self.accounts.get(payee)

    def link_account(self, account: PayoutAccount) -> None:
        self.accounts[account.payee] = account


class FakePayoutChanges(PayoutChanges):
    def __init__(self, payouts: FakePayouts, transaction: FakeTransaction) -> None:
        self._payouts = payouts
        self._transaction = transaction

    def request(self, payout: Payout, *, day: str, paid_today: int) -> None:
        key = (payout.payee, payout.id)
        day_key = (payout.payee, day, payout.currency)
        self._transaction.stage(
            f"payout {payout.id}",
            holds=lambda: key not in self._payouts.payouts,
            apply=lambda: self._payouts.payouts.__setitem__(key, payout),
            error=Conflict("This payout exists already."),
        )
        self._transaction.stage(
            f"payout day {day_key}",
            holds=lambda: self._payouts.days.get(day_key, 0) == paid_today,
            apply=lambda: self._payouts.days.__setitem__(
                day_key, self._payouts.days.get(day_key, 0) + payout.amount
            ),
            error=PayoutDayMoved("Another payout counted against today first."),
        )

    def settle(self, before: Payout, after: Payout) -> None:
        key = (after.payee, after.id)
        self._transaction.stage(
            f"payout {after.id}",
            holds=lambda: (
                key in self._payouts.payouts and self._payouts.payouts[key].status is before.status
            ),
            apply=lambda: self._payouts.payouts.__setitem__(key, after),
            error=PayoutMoved(f"The payout is no longer {before.status.value}."),
        )
