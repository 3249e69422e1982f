"""The ledger in the single table: transactions and running balances (domain/ledger.py).

Items:
- ``keys.ledger_transaction``: one transaction with its entries (``account``, ``amount``
  debit positive, ``memo``), ``kind``, ``currency``, ``refs``, ``booked_at``; written
  ``attribute_not_exists`` so a fact is booked once. A venue's transactions are listed
  by GSI1 ``VENUE_LEDGER#<venue>#<nn>`` / ``<booked at>#<txn id>``, the shard taken
  round-robin per container when booked; readers merge the shards by booking time.
- ``keys.account_balance``: a shard of an account's balance, each shard a partition of
  its own (``BALANCE#<account>#<nn>``), moved by ``ADD balance :delta`` in the
  transaction that books the entries, onto a shard taken round-robin per container.
  The platform's accounts (clearing, revenue, tax, processing costs) have 64 shards, an
  event's pending proceeds 32: every payment writes them. A venue's shards are listed by
  GSI1 ``VENUE_BALANCES#<venue>#<nn>`` (the shard's number) / ``<account>#<shard>``;
  a seller's (pending proceeds per event, payable per currency: one shard each, so a
  settlement and a payout hold them still) by GSI1 ``SELLER_BALANCES#<seller>``.
- A resale's transaction and its reversal's are also listed by GSI2
  ``VENUE_ROYALTIES#<venue>`` / ``<booked at>#<txn id>``: a venue's royalties over a
  range of days read only those.

Conditions on a sharded balance. No rule needs "balance >= x" of a sharded account: a
venue's available and reserved balances, which payouts must not overdraw, are one item
each (one shard), so a payout holds each still with ``balance = :read``; they are
written by settlements, disputes and payouts, not by every payment. The one write that
depends on a sharded balance as a whole, settlement, drains the pending proceeds shard
by shard, each on the condition that it still holds what was read, so the sum moved is
exact (32 shards: the settlement's transaction stays far under 100 items).

``scripts/ledger-check`` recomputes every balance from the entries and compares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import (
    Item,
    check_op,
    instant,
    put_op,
    scan_entity,
    update_op,
)
from admitone.adapters.dynamo.transaction import Transaction as TransactWrite
from admitone.domain.ledger import (
    Account,
    AccountKind,
    BalanceMoved,
    Transaction,
    TransactionKind,
    net_deltas,
)
from admitone.domain.royalties import ROYALTY_KINDS, RoyaltyBooking, royalty_booking
from admitone.ports.ledger import Ledger, LedgerChanges

Op = dict[str, Any]
TXN_ENTITY = "ledger_txn"
BALANCE_ENTITY = "balance_shard"
# A venue's available and reserved balances are conditioned on by payouts: one item each.
SHARDS = {
    AccountKind.VENUE_AVAILABLE: 1,
    AccountKind.VENUE_RESERVED: 1,
    AccountKind.VENUE_PENDING: keys.EVENT_PENDING_SHARDS,
    AccountKind.SELLER_PENDING: 1,
    AccountKind.SELLER_PAYABLE: 1,
}
DEFAULT_SHARDS = keys.PLATFORM_BALANCE_SHARDS


def shard_count(account: Account) -> int:
    return SHARDS.get(account.kind, DEFAULT_SHARDS)


# ------------------------------------------------------------------- writes
@dataclass(frozen=True)
class ShardBalance:
    shard: int
    balance: int


def _transaction_item(txn: Transaction, now: datetime) -> Item:
    item: Item = {
        **keys.ledger_transaction(txn.id),
        "entity": TXN_ENTITY,
        "txn_id": txn.id,
        "kind": txn.kind.value,
        "currency": txn.currency,
        "venue_id": txn.venue_id,
        "refs": dict(txn.refs),
        "entries": [
            {"account": entry.account.id, "amount": entry.amount, "memo": entry.memo}
            for entry in txn.entries
        ],
        "booked_at": instant(now),
    }
    if txn.venue_id:
        shard = keys.write_shard(keys.VENUE_LIST_SHARDS, of=f"VENUE_LEDGER#{txn.venue_id}")
        item["GSI1PK"] = keys.venue_ledger(txn.venue_id, shard)
        item["GSI1SK"] = f"{instant(now)}#{txn.id}"
    if txn.venue_id and txn.kind in ROYALTY_KINDS:
        item["GSI2PK"] = keys.venue_royalties(txn.venue_id)
        item["GSI2SK"] = f"{instant(now)}#{txn.id}"
    return item


def balance_op(
    account: Account, delta: int, *, shard: int | None = None, expect: int | None = None
) -> Op:
    """Add ``delta`` to one shard of ``account`` (the next in turn unless given); with
    ``expect``, only if that shard's balance is exactly it (a payout's guard)."""
    chosen = keys.write_shard(shard_count(account), of=account.id) if shard is None else shard
    sets = ["account_id = :account", "kind = :kind", "currency = :currency", "entity = :entity"]
    values: dict[str, Any] = {
        ":delta": delta,
        ":account": account.id,
        ":kind": account.kind.value,
        ":currency": account.currency,
        ":entity": BALANCE_ENTITY,
    }
    if account.venue_id:
        sets += ["venue_id = :venue", "GSI1PK = :gsi1pk", "GSI1SK = :gsi1sk"]
        values |= {
            ":venue": account.venue_id,
            ":gsi1pk": keys.venue_balances(account.venue_id, chosen),
            ":gsi1sk": f"{account.id}#{chosen:02d}",
        }
    elif account.seller_id:
        sets += ["seller_id = :seller", "GSI1PK = :gsi1pk", "GSI1SK = :gsi1sk"]
        values |= {
            ":seller": account.seller_id,
            ":gsi1pk": keys.seller_balances(account.seller_id),
            ":gsi1sk": f"{account.id}#{chosen:02d}",
        }
        if account.event_id:
            sets.append("event_id = :event")
            values[":event"] = account.event_id
    condition = None
    if expect is not None:
        values[":expect"] = expect
        condition = "balance = :expect" + (
            " OR attribute_not_exists(balance)" if expect == 0 else ""
        )
    return update_op(
        keys.account_balance(account.id, chosen),
        "ADD balance :delta SET " + ", ".join(sets),
        values=values,
        condition=condition,
    )


def book_ops(
    transactions: Sequence[Transaction],
    *,
    now: datetime,
    guarded: Mapping[Account, int] | None = None,
    drained: Mapping[Account, Sequence[ShardBalance]] | None = None,
) -> list[Op]:
    """The Puts of ``transactions`` and one balance update per account they move, to
    join the transaction of the change they record.

    ``guarded`` accounts (one shard each) are updated only if their balance is still the
    one given. ``drained`` accounts are emptied shard by shard, each only if it still
    holds the balance read (the transactions must move exactly their sum out).
    """
    ops = [
        put_op(_transaction_item(txn, now), condition="attribute_not_exists(PK)")
        for txn in transactions
    ]
    guards = guarded or {}
    drains = drained or {}
    for account, delta in net_deltas(transactions).items():
        if account in drains:
            if delta != -sum(shard.balance for shard in drains[account]):
                raise ValueError(f"{account.id}: a drain must move out exactly its balance")
            ops += [
                balance_op(account, -shard.balance, shard=shard.shard, expect=shard.balance)
                for shard in drains[account]
            ]
        elif account in guards:
            ops.append(balance_op(account, delta, shard=0, expect=guards[account]))
        else:
            ops.append(balance_op(account, delta))
    return ops


def balance_check_op(account: Account, expect: int) -> Op:
    """Holds only while a one-shard account's balance is ``expect``."""
    condition = "balance = :expect" + (" OR attribute_not_exists(balance)" if expect == 0 else "")
    return check_op(keys.account_balance(account.id, 0), condition, values={":expect": expect})


# -------------------------------------------------------------------- reads
def shards_of(account: Account) -> list[ShardBalance]:
    """Every shard of one account that exists, read consistently (one BatchGetItem)."""
    shards = range(shard_count(account))
    items = table.get_many([keys.account_balance(account.id, shard) for shard in shards])
    found = [
        ShardBalance(int(item["PK"].rsplit("#", 1)[1]), int(item["balance"])) for item in items
    ]
    return sorted(found, key=lambda shard: shard.shard)


def balance_of(account: Account) -> int:
    """The account's balance (debit positive), read consistently."""
    return sum(shard.balance for shard in shards_of(account))


def settled_since(venue_id: str, currency: str, since: datetime) -> int:
    """What settlements booked since ``since`` made available to the venue in
    ``currency`` (as shown: positive)."""
    available_id = f"{AccountKind.VENUE_AVAILABLE.value}:{venue_id}:{currency}"
    requests = (
        {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK >= :since",
            "FilterExpression": "kind = :kind AND currency = :currency",
            "ExpressionAttributeValues": table.to_attributes(
                {
                    ":pk": partition,
                    ":since": instant(since),
                    ":kind": TransactionKind.SETTLEMENT.value,
                    ":currency": currency,
                }
            ),
        }
        for partition in keys.venue_ledgers(venue_id)
    )
    return -sum(
        int(entry["amount"])
        for request in requests
        for page, _ in table.query_pages(request)
        for item in page
        for entry in item["entries"]
        if entry["account"] == available_id
    )


def venue_account_balances(venue_id: str) -> dict[str, tuple[AccountKind, str, int]]:
    """Every account of a venue: id -> (kind, currency, balance debit positive)."""
    found: dict[str, tuple[AccountKind, str, int]] = {}
    for item in table.all_of_sharded("GSI1", keys.venue_balance_lists(venue_id)):
        account_id = str(item["account_id"])
        _, _, so_far = found.get(account_id, (AccountKind(item["kind"]), item["currency"], 0))
        found[account_id] = (
            AccountKind(item["kind"]),
            str(item["currency"]),
            so_far + int(item["balance"]),
        )
    return found


@dataclass(frozen=True)
class BookedEntry:
    account_id: str
    amount: int  # debit positive
    memo: str


@dataclass(frozen=True)
class BookedTransaction:
    """A transaction as the ledger holds it (account ids as stored)."""

    id: str
    kind: str
    currency: str
    booked_at: datetime
    refs: Mapping[str, str]
    entries: tuple[BookedEntry, ...]


def _booked(item: Mapping[str, Any]) -> BookedTransaction:
    return BookedTransaction(
        id=str(item["txn_id"]),
        kind=str(item["kind"]),
        currency=str(item["currency"]),
        booked_at=datetime.fromisoformat(item["booked_at"]),
        refs={str(k): str(v) for k, v in (item.get("refs") or {}).items()},
        entries=tuple(
            BookedEntry(str(e["account"]), int(e["amount"]), str(e["memo"]))
            for e in item["entries"]
        ),
    )


def venue_ledger_page(
    venue_id: str, *, limit: int, start_key: Mapping[str, str] | None
) -> tuple[list[BookedTransaction], dict[str, str] | None]:
    """A venue's ledger transactions, newest first (merged over the ledger's shards), and
    the position to resume before: ``{"GSI1SK": <booked at>#<txn id>}``."""
    items, more = table.first_of_sharded(
        "GSI1",
        keys.venue_ledgers(venue_id),
        limit=limit,
        sort_below=start_key["GSI1SK"] if start_key else None,
        newest_first=True,
    )
    resume = {"GSI1SK": str(items[-1]["GSI1SK"])} if more and items else None
    return [_booked(item) for item in items], resume


def all_transactions(table_name: str | None = None) -> Iterator[Item]:
    return scan_entity(TXN_ENTITY, table_name)


def all_balance_shards(table_name: str | None = None) -> Iterator[Item]:
    return scan_entity(BALANCE_ENTITY, table_name)


# ------------------------------------------------------------------- ports
class DynamoLedger(Ledger):
    def balance(self, account: Account) -> int:
        return balance_of(account)

    def seller_accounts(self, seller_id: str) -> list[tuple[Account, int]]:
        found: dict[Account, int] = {}
        for item in table.all_of_sharded("GSI1", [keys.seller_balances(seller_id)]):
            account = Account(
                AccountKind(item["kind"]),
                str(item["currency"]),
                seller_id=seller_id,
                event_id=item.get("event_id"),
            )
            found[account] = found.get(account, 0) + int(item["balance"])
        return list(found.items())

    def royalty_bookings(
        self, venue_id: str, *, since: datetime, until: datetime
    ) -> list[RoyaltyBooking]:
        request = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk AND GSI2SK BETWEEN :since AND :until",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.venue_royalties(venue_id)},
                ":since": {"S": instant(since)},
                ":until": {"S": instant(until)},  # "<until>#<txn>" sorts after: excluded
            },
        }
        bookings = []
        for page, _ in table.query_pages(request):
            for item in page:
                booking = royalty_booking(
                    transaction_id=str(item["txn_id"]),
                    kind=str(item["kind"]),
                    venue_id=venue_id,
                    currency=str(item["currency"]),
                    refs={str(k): str(v) for k, v in (item.get("refs") or {}).items()},
                    booked_at=datetime.fromisoformat(item["booked_at"]),
                    entries=((str(e["account"]), int(e["amount"])) for e in item["entries"]),
                )
                if booking is not None:
                    bookings.append(booking)
        return bookings


class DynamoLedgerChanges(LedgerChanges):
    def __init__(self, transaction: TransactWrite) -> None:
        self._transaction = transaction

    def book(
        self,
        transactions: Sequence[Transaction],
        *,
        now: datetime,
        held: Mapping[Account, int] | None = None,
    ) -> None:
        for account in held or {}:
            if shard_count(account) != 1:
                raise ValueError(f"{account.id}: only a one-shard account can be held")
        held_keys = {keys.account_balance(account.id, 0)["PK"]: account for account in held or {}}
        for op in book_ops(transactions, now=now, guarded=held):
            (request,) = op.values()
            key = request.get("Key") or request["Item"]
            pk = key["PK"]["S"]
            moved = (
                BalanceMoved(f"The balance of {held_keys[pk].id} moved; read it again.")
                if pk in held_keys
                else None
            )
            self._transaction.stage(f"ledger {pk} {key['SK']['S']}", op, error=moved)
        moving = net_deltas(transactions)
        for account, expect in (held or {}).items():
            if account not in moving:
                self._transaction.stage(
                    f"ledger held {account.id}",
                    balance_check_op(account, expect),
                    error=BalanceMoved(f"The balance of {account.id} moved; read it again."),
                )
