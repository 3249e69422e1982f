"""Recompute every ledger balance from its entries and report any difference.

    scripts/ledger-check            against the running local stack
    scripts/ledger-check --table T  against table T (credentials, region and endpoint
                                    from the usual AWS configuration)

Checks: every transaction has at least two entries, one currency, and entries that sum
to zero; every account's running balance (the sum of its shards) equals the sum of its
entries. Prints one line per difference and a summary; exits 1 when any is found.
Reads the whole table (a Scan): an operator's tool, never a request path.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Report:
    transactions: int
    accounts: int
    differences: list[str]


def check(transactions: Iterable[Mapping[str, Any]], shards: Iterable[Mapping[str, Any]]) -> Report:
    """Compare what the entries add up to with what the running balances hold."""
    from_entries: dict[str, int] = defaultdict(int)
    differences: list[str] = []
    count = 0
    for txn in transactions:
        count += 1
        entries = txn["entries"]
        currencies = {str(entry["account"]).rsplit(":", 1)[-1] for entry in entries}
        total = sum(int(entry["amount"]) for entry in entries)
        if len(entries) < 2:
            differences.append(f"transaction {txn['txn_id']}: {len(entries)} entry, needs two")
        if currencies != {txn["currency"]}:
            differences.append(f"transaction {txn['txn_id']}: currencies {sorted(currencies)}")
        if total != 0:
            differences.append(f"transaction {txn['txn_id']}: entries sum to {total}, not 0")
        for entry in entries:
            from_entries[str(entry["account"])] += int(entry["amount"])
    from_balances: dict[str, int] = defaultdict(int)
    for shard in shards:
        from_balances[str(shard["account_id"])] += int(shard["balance"])
    accounts = sorted(set(from_entries) | set(from_balances))
    for account in accounts:
        expected, held = from_entries.get(account, 0), from_balances.get(account, 0)
        if expected != held:
            differences.append(
                f"account {account}: balance {held}, entries sum to {expected}"
                f" ({held - expected:+d})"
            )
    return Report(transactions=count, accounts=len(accounts), differences=differences)


def run(table_name: str | None = None) -> Report:
    """Check ``table_name`` (default: the one the environment names, ``TABLE_NAME``)."""
    from admitone.adapters.dynamo import ledger  # noqa: PLC0415

    return check(ledger.all_transactions(table_name), ledger.all_balance_shards(table_name))


def local_table() -> str:
    """The running local stack's table (and the environment that reaches it)."""
    from scripts.devstack.stack import ConsoleSink, LocalStack, Ports  # noqa: PLC0415

    probe = LocalStack(Ports.from_environment(), ConsoleSink(sys.stderr))
    stack = LocalStack.attach(ROOT / "template.yaml", ROOT, probe.moto_url, probe.stripe_url)
    os.environ["AWS_ENDPOINT_URL"] = probe.moto_url
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    return stack.physical_name("Table")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/ledger-check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--table", help="a deployed table's name (default: the local stack's)")
    args = parser.parse_args(argv)
    table_name = args.table or local_table()
    sys.path.insert(0, str(ROOT / "layers" / "admitone"))
    report = run(table_name)
    for difference in report.differences:
        print(difference)
    print(
        f"ledger-check: {report.transactions} transactions, {report.accounts} accounts,"
        f" {len(report.differences)} differences"
    )
    return 1 if report.differences else 0


if __name__ == "__main__":
    sys.exit(main())
