"""Check the ledger two ways and report every difference.

    scripts/ledger-check            against the running local stack
    scripts/ledger-check --table T  against table T (credentials, region and endpoint
                                    from the usual AWS configuration)

1. Bookkeeping: every transaction has at least two entries, one currency, and entries
   that sum to zero; every account's running balance (the sum of its shards) equals the
   sum of its entries.
2. Business: each venue's balances, per currency, are derived again from the business
   records alone (paid orders, their refunds and states, disputes, settlements,
   payouts, released resale escrows' venue royalties; a refunded one's is reversed) and
   compared with what the ledger's entries give: every event's pending proceeds,
   available, reserved and paid out. Each resale seller's proceeds the same way (from
   the released escrows, the events settled and their payouts not refused): pending per
   event, payable. A wrong entry that balances (a refund booked where settlement no
   longer looks, a dispute that takes more than the venue ever held) passes the first
   check and fails this one.

Prints one line per difference and a summary; exits 1 when any is found. Reads the
whole table (a Scan): an operator's tool, never a request path.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from admitone.domain import ledger
from admitone.domain.ledger import venue_fee
from admitone.domain.refunds import RefundStatus
from admitone.domain.resale import EscrowStatus, Royalties, split_resale
from scripts.devstack import failures
from scripts.devstack.endpoints import PORTS_HELP

if TYPE_CHECKING:
    from admitone.adapters.dynamo.money import Payout, Refund
    from admitone.domain.orders import Order

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


# ------------------------------------------------------ the business records
@dataclass(frozen=True)
class Books:
    """What the business records say happened, as the check reads them."""

    venue_of_event: Mapping[str, str]
    sold: Sequence[Order]  # orders whose sale was booked (paid at some point)
    refunds: Sequence[Refund]
    disputes: Sequence[Mapping[str, Any]]
    settled_events: frozenset[str]
    payouts: Sequence[Payout]
    # Released resale escrows: (event id, currency, amount, seller id, the sale's shares);
    # the venue's royalty and the seller's proceeds are theirs.
    resales: Sequence[tuple[str, str, int, str, Royalties]] = ()
    # Resale sellers' payouts: (seller id, currency, amount, status).
    seller_payouts: Sequence[tuple[str, str, int, str]] = ()


def venue_net(order: Order, refunds: Iterable[Refund]) -> int:
    """What the venue still holds from an order: its price less the venue's share of the
    platform fee (RULES §10), less what live refunds took back of both."""
    totals = order.totals
    price, fee = totals.subtotal - totals.discount, totals.platform_fee
    refunded = sum(r.amounts.price for r in refunds if r.status is not RefundStatus.FAILED)
    kept_fee = venue_fee(price_paid=price, platform_fee=fee, price_refunded=price)
    returned_fee = venue_fee(price_paid=price, platform_fee=fee, price_refunded=refunded)
    return price - kept_fee - (refunded - returned_fee)


def dispute_take(venue_holds: int, amount: int) -> int:
    """What a dispute freezes (and, lost, takes): at most what the venue still holds."""
    return max(0, min(amount, venue_holds))


def rederive(books: Books) -> dict[str, int]:
    """Each venue's balances (as shown) by the business records alone: an event's pending
    proceeds, available, reserved and paid out, per currency."""
    balances: dict[str, int] = defaultdict(int)
    refunds_of: dict[str, list[Refund]] = defaultdict(list)
    for refund in books.refunds:
        refunds_of[refund.order_id].append(refund)
    holds: dict[str, int] = {}
    for order in books.sold:
        venue, cur = books.venue_of_event[order.event_id], order.totals.currency
        net = holds[order.id] = venue_net(order, refunds_of[order.id])
        if order.event_id in books.settled_events:
            balances[ledger.available(venue, cur).id] += net
        else:
            balances[ledger.pending(venue, order.event_id, cur).id] += net
    _rederive_resales(books, balances)
    by_id = {order.id: order for order in books.sold}
    for dispute in sorted(books.disputes, key=lambda d: str(d["dispute_id"])):
        order = by_id[str(dispute["order_id"])]
        venue, cur = books.venue_of_event[order.event_id], order.totals.currency
        status = str(dispute["status"])
        taken = dispute_take(holds[order.id], int(dispute["amount"]))  # its latest amount
        holds[order.id] -= taken
        if status == "open":
            balances[ledger.reserved(venue, cur).id] += taken
            balances[ledger.available(venue, cur).id] -= taken
        elif status == "lost":
            balances[ledger.available(venue, cur).id] -= taken
    for payout in books.payouts:
        if payout.status == "failed":
            continue  # Stripe refused its transfer: the money went back
        balances[ledger.available(payout.venue_id, payout.currency).id] -= payout.amount
        balances[_paid_out(payout.venue_id, payout.currency)] += payout.amount
    return {account: balance for account, balance in balances.items() if balance}


def _rederive_resales(books: Books, balances: dict[str, int]) -> None:
    """Released resales' venue royalties and seller proceeds, and sellers' payouts."""
    for event_id, cur, amount, seller, shares in books.resales:
        venue = books.venue_of_event[event_id]
        split = split_resale(amount, shares)
        if event_id in books.settled_events:
            balances[ledger.available(venue, cur).id] += split.venue_royalty
            balances[ledger.seller_payable(seller, cur).id] += split.seller_proceeds
        else:
            balances[ledger.pending(venue, event_id, cur).id] += split.venue_royalty
            balances[ledger.seller_pending(seller, event_id, cur).id] += split.seller_proceeds
    for seller, cur, amount, status in books.seller_payouts:
        if status != "failed":
            balances[ledger.seller_payable(seller, cur).id] -= amount


def _paid_out(venue_id: str, currency: str) -> str:
    return f"paid_out:{venue_id}:{currency}"


_VENUE_KINDS = {kind.value for kind in ledger.VENUE_KINDS | ledger.SELLER_KINDS}
_PAYOUT_KINDS = {
    ledger.TransactionKind.PAYOUT.value,
    ledger.TransactionKind.PAYOUT_FEE.value,
    ledger.TransactionKind.PAYOUT_FAILED.value,
    ledger.TransactionKind.PAYOUT_FEE_RETURNED.value,
}


def booked_venue_balances(transactions: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The same figures as the ledger's entries give them."""
    balances: dict[str, int] = defaultdict(int)
    for txn in transactions:
        for entry in txn["entries"]:
            account = str(entry["account"])
            kind, amount = account.split(":", 1)[0], int(entry["amount"])
            if kind not in _VENUE_KINDS:
                continue
            balances[account] -= amount  # venue balances are credit-normal: shown negated
            if txn.get("kind") in _PAYOUT_KINDS:
                _, venue_id, currency = account.split(":")
                balances[_paid_out(venue_id, currency)] += amount
    return {account: balance for account, balance in balances.items() if balance}


def compare(books: Books, transactions: Iterable[Mapping[str, Any]]) -> list[str]:
    derived, booked = rederive(books), booked_venue_balances(transactions)
    return [
        f"{account}: ledger {booked.get(account, 0)}, business records"
        f" {derived.get(account, 0)} ({booked.get(account, 0) - derived.get(account, 0):+d})"
        for account in sorted(set(derived) | set(booked))
        if booked.get(account, 0) != derived.get(account, 0)
    ]


def read_books(table_name: str | None) -> Books:
    from admitone.adapters.dynamo.money import to_payout, to_refund  # noqa: PLC0415
    from admitone.adapters.dynamo.orders import to_order  # noqa: PLC0415
    from admitone.adapters.dynamo.table import scan_entity  # noqa: PLC0415

    sold_ids = {str(item["order_id"]) for item in scan_entity("event_order", table_name)}
    return Books(
        venue_of_event={
            str(item["event_id"]): str(item["venue_id"])
            for item in scan_entity("event", table_name)
        },
        sold=[
            to_order(item)
            for item in scan_entity("order", table_name)
            if item["order_id"] in sold_ids
        ],
        refunds=[to_refund(item) for item in scan_entity("refund", table_name)],
        disputes=list(scan_entity("dispute", table_name)),
        settled_events=frozenset(
            str(item["event_id"])
            for item in scan_entity("settlement", table_name)
            if item.get("settled_at")
        ),
        payouts=[to_payout(item) for item in scan_entity("payout", table_name)],
        resales=[
            (
                str(item["event_id"]),
                str(item["currency"]),
                int(item["amount_cents"]),
                str(item["seller_id"]),
                _shares(item),
            )
            for item in scan_entity("escrow", table_name)
            if item["status"] == EscrowStatus.RELEASED.value
        ],
        seller_payouts=[
            (
                str(item["seller_id"]),
                str(item["currency"]),
                int(item["amount"]),
                str(item["status"]),
            )
            for item in scan_entity("seller_payout", table_name)
        ],
    )


def _shares(escrow: Mapping[str, Any]) -> Royalties:
    """The escrow's shares as it was sold; one opened before rates were configurable sold
    at the defaults."""
    default = Royalties()
    return Royalties(
        venue_bps=int(escrow.get("venue_royalty_bps", default.venue_bps)),
        artist_bps=int(escrow.get("artist_royalty_bps", default.artist_bps)),
        platform_bps=int(escrow.get("platform_share_bps", default.platform_bps)),
    )


def run(table_name: str | None = None) -> Report:
    """Check ``table_name`` (default: the one the environment names, ``TABLE_NAME``)."""
    from admitone.adapters.dynamo import ledger as ledger_store  # noqa: PLC0415

    transactions = list(ledger_store.all_transactions(table_name))
    report = check(transactions, ledger_store.all_balance_shards(table_name))
    report.differences.extend(compare(read_books(table_name), transactions))
    return report


def local_table() -> str:
    """The running local stack's table (and the environment that reaches it)."""
    from scripts.devstack.stack import ConsoleSink, LocalStack, Ports  # noqa: PLC0415

    ports = Ports.from_environment()
    ports.require_moto()
    probe = LocalStack(ports, ConsoleSink(sys.stderr))
    stack = LocalStack.attach(ROOT / "template.yaml", ROOT, probe.moto_url, probe.stripe_url)
    os.environ["AWS_ENDPOINT_URL"] = probe.moto_url
    failures.use_local_credentials()
    return stack.physical_name("Table")


def main(argv: list[str] | None = None) -> int:
    return failures.main("scripts/ledger-check", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/ledger-check",
        description=__doc__.split("\n")[0],
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--table", help="a deployed table's name (default: the local stack's)")
    args = parser.parse_args(argv)
    table_name = args.table or local_table()
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
