"""The ledger, in memory (as adapters/dynamo/ledger.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from admitone.domain.ledger import Account, BalanceMoved, Transaction, net_deltas
from admitone.domain.royalties import RoyaltyBooking, royalty_booking
from admitone.ports.ledger import Ledger, LedgerChanges
from tests.fakes.transaction import FakeTransaction


class FakeLedger(Ledger):
    def __init__(self) -> None:
        self.transactions: dict[str, Transaction] = {}
        self.balances: dict[str, int] = {}
        self.accounts: dict[str, Account] = {}
        self.booked_at: dict[str, datetime] = {}

    def balance(self, account: Account) -> int:
        return self.balances.get(account.id, 0)

    def seller_accounts(self, seller_id: str) -> list[tuple[Account, int]]:
        return [
            (account, self.balances.get(account_id, 0))
            for account_id, account in sorted(self.accounts.items())
            if account.seller_id == seller_id
        ]

    def royalty_bookings(
        self, venue_id: str, *, since: datetime, until: datetime
    ) -> list[RoyaltyBooking]:
        found = []
        for txn_id, txn in self.transactions.items():
            at = self.booked_at[txn_id]
            if txn.venue_id != venue_id or not since <= at < until:
                continue
            booking = royalty_booking(
                transaction_id=txn.id,
                kind=txn.kind.value,
                venue_id=venue_id,
                currency=txn.currency,
                refs=txn.refs,
                booked_at=at,
                entries=((entry.account.id, entry.amount) for entry in txn.entries),
            )
            if booking is not None:
                found.append(booking)
        return sorted(found, key=lambda booking: (booking.booked_at, booking.transaction_id))


class FakeLedgerChanges(LedgerChanges):
    def __init__(self, ledger: FakeLedger, transaction: FakeTransaction) -> None:
        self._ledger = ledger
        self._transaction = transaction

    def book(
        self,
        transactions: Sequence[Transaction],
        *,
        now: datetime,
        held: Mapping[Account, int] | None = None,
    ) -> None:
        held = held or {}
        for txn in transactions:
            self._transaction.stage(
                f"ledger txn {txn.id}",
                holds=lambda txn=txn: txn.id not in self._ledger.transactions,
                apply=lambda txn=txn: self._book(txn, now),
            )
        for account, delta in net_deltas(transactions).items():
            self._transaction.stage(
                f"ledger balance {account.id}",
                holds=(
                    (
                        lambda account=account: (
                            self._ledger.balances.get(account.id, 0) == held[account]
                        )
                    )
                    if account in held
                    else (lambda: True)
                ),
                apply=lambda account=account, delta=delta: self._apply(account, delta),
                error=BalanceMoved(f"{account.id} moved") if account in held else None,
            )

        moving = net_deltas(transactions)
        for account, expect in held.items():
            if account not in moving:
                self._transaction.stage(
                    f"ledger held {account.id}",
                    holds=lambda account=account, expect=expect: (
                        self._ledger.balances.get(account.id, 0) == expect
                    ),
                    apply=lambda: None,
                    error=BalanceMoved(f"{account.id} moved"),
                )

    def _book(self, txn: Transaction, now: datetime) -> None:
        self._ledger.transactions[txn.id] = txn
        self._ledger.booked_at[txn.id] = now

    def _apply(self, account: Account, delta: int) -> None:
        self._ledger.accounts[account.id] = account
        self._ledger.balances[account.id] = self._ledger.balances.get(account.id, 0) + delta
