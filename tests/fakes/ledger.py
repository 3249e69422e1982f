"""The ledger, in memory (as adapters/dynamo/ledger.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from admitone.domain.ledger import Account, Transaction, net_deltas
from admitone.ports.ledger import Ledger, LedgerChanges
from tests.fakes.transaction import FakeTransaction


class FakeLedger(Ledger):
    def __init__(self) -> None:
        self.transactions: dict[str, Transaction] = {}
        self.balances: dict[str, int] = {}

    def balance(self, account: Account) -> int:
        return self.balances.get(account.id, 0)


class FakeLedgerChanges(LedgerChanges):
    def __init__(self, ledger: FakeLedger, transaction: FakeTransaction) -> None:
        self._ledger = ledger
        self._transaction = transaction

    def book(self, transactions: Sequence[Transaction], *, now: datetime) -> None:
        for txn in transactions:
            self._transaction.stage(
                f"ledger txn {txn.id}",
                holds=lambda txn=txn: txn.id not in self._ledger.transactions,
                apply=lambda txn=txn: self._ledger.transactions.__setitem__(txn.id, txn),
            )
        for account, delta in net_deltas(transactions).items():
            self._transaction.stage(
                f"ledger balance {account.id}",
                holds=lambda: True,
                apply=lambda account=account, delta=delta: self._ledger.balances.__setitem__(
                    account.id, self._ledger.balances.get(account.id, 0) + delta
                ),
            )
