"""The ledger, in memory (as adapters/dynamo/ledger.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from admitone.domain.ledger import Account, BalanceMoved, Transaction, net_deltas
from admitone.ports.ledger import Ledger, LedgerChanges
from tests.fakes.transaction import FakeTransaction


class FakeLedger(Ledger):
    def __init__(self) -> None:
        self.transactions: dict[str, Transaction] = {}
        self.balances: dict[str, int] = {}
        self.accounts: dict[str, Account] = {}

    def balance(self, account: Account) -> int:
        return self.balances.get(account.id, 0)

    def seller_accounts(self, seller_id: str) -> list[tuple[Account, int]]:
        return [
            (account, self.balances.get(account_id, 0))
            for account_id, account in sorted(self.accounts.items())
            if account.seller_id == seller_id
        ]


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
                apply=lambda txn=txn: self._ledger.transactions.__setitem__(txn.id, txn),
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

    def _apply(self, account: Account, delta: int) -> None:
        self._ledger.accounts[account.id] = account
        self._ledger.balances[account.id] = self._ledger.balances.get(account.id, 0) + delta
