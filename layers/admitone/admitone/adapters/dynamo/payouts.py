"""Payouts and payout accounts in the single table (ports/payouts.py).

Items, each in its payee's partition (``VENUE#<venue>`` or ``USER#<seller>``):
- ``PAYOUT#<payout id>``: the payout (``entity`` ``payout`` for a venue's, the shape
  ``money.payout_item`` always wrote, ``seller_payout`` for a seller's, with
  ``seller_id``), plus ``transfer_id``, ``failure``, ``settled_at`` once settled.
  Created ``attribute_not_exists``; settled on condition ``status = :read``.
- ``PAYOUT_DAY#<UTC date>#<currency>``: ``total`` of the day's payouts, ``ADD`` on
  condition that it is still the total read.
- ``PAYOUT_ACCOUNT``: ``account_id`` (the Stripe connected account), ``country``,
  ``linked_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import Item, instant, put_op, update_op
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.errors import Conflict
from admitone.domain.payouts import (
    Payee,
    PayeeKind,
    Payout,
    PayoutAccount,
    PayoutDayMoved,
    PayoutMoved,
    PayoutStatus,
)
from admitone.ports.payouts import PayoutChanges, Payouts

_ID_ATTRIBUTE = {PayeeKind.VENUE: "venue_id", PayeeKind.SELLER: "seller_id"}
_ENTITY = {PayeeKind.VENUE: "payout", PayeeKind.SELLER: "seller_payout"}


def _key(payout: Payout) -> dict[str, str]:
    return keys.payee_payout(payout.payee.kind.value, payout.payee.id, payout.id)


def payout_item(payout: Payout) -> Item:
    item: Item = {
        **_key(payout),
        "entity": _ENTITY[payout.payee.kind],
        "payout_id": payout.id,
        _ID_ATTRIBUTE[payout.payee.kind]: payout.payee.id,
        "currency": payout.currency,
        "amount": payout.amount,
        "fee": payout.fee,
        "instant": payout.instant,
        "status": payout.status.value,
        "requested_by": payout.requested_by,
        "created_at": instant(payout.created_at),
        "arrives_by": instant(payout.arrives_by),
    }
    if payout.transfer_id is not None:
        item["transfer_id"] = payout.transfer_id
    if payout.failure is not None:
        item["failure"] = payout.failure
    if payout.settled_at is not None:
        item["settled_at"] = instant(payout.settled_at)
    return item


def to_payout(item: Mapping[str, Any]) -> Payout:
    kind = PayeeKind.SELLER if "seller_id" in item else PayeeKind.VENUE
    settled = item.get("settled_at")
    return Payout(
        id=str(item["payout_id"]),
        payee=Payee(kind, str(item[_ID_ATTRIBUTE[kind]])),
        currency=str(item["currency"]),
        amount=int(item["amount"]),
        fee=int(item["fee"]),
        instant=bool(item["instant"]),
        status=PayoutStatus(item["status"]),
        requested_by=str(item["requested_by"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        arrives_by=datetime.fromisoformat(item["arrives_by"]),
        transfer_id=item.get("transfer_id"),
        failure=item.get("failure"),
        settled_at=datetime.fromisoformat(settled) if settled else None,
    )


class DynamoPayouts(Payouts):
    def get(self, payee: Payee, payout_id: str) -> Payout | None:
        item = table.get(keys.payee_payout(payee.kind.value, payee.id, payout_id), consistent=True)
        return to_payout(item) if item else None

    def of_payee(self, payee: Payee) -> list[Payout]:
        items = table.query_partition(
            keys.payee_partition(payee.kind.value, payee.id),
            sk_prefix="PAYOUT#pyo_",
            consistent=True,
        )
        return sorted((to_payout(item) for item in items), key=lambda p: p.created_at, reverse=True)

    def paid_out_on(self, payee: Payee, day: str, currency: str) -> int:
        item = table.get(
            keys.payee_payout_day(payee.kind.value, payee.id, day, currency), consistent=True
        )
        return int(item["total"]) if item else 0

    def account(self, payee: Payee) -> PayoutAccount | None:
        item = table.get(keys.payout_account(payee.kind.value, payee.id), consistent=True)
        if item is None:
            return None
        return PayoutAccount(
            payee=payee,
            account_id=str(item["account_id"]),
            country=str(item["country"]),
            linked_at=datetime.fromisoformat(item["linked_at"]),
        )

    def link_account(self, account: PayoutAccount) -> None:
        table.put(
            {
                **keys.payout_account(account.payee.kind.value, account.payee.id),
                "entity": "payout_account",
                "payee_kind": account.payee.kind.value,
                "account_id": account.account_id,
                "country": account.country,
                "linked_at": instant(account.linked_at),
            }
        )


class DynamoPayoutChanges(PayoutChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def request(self, payout: Payout, *, day: str, paid_today: int) -> None:
        payee = payout.payee
        self._transaction.stage(
            f"payout {payout.id}",
            put_op(payout_item(payout), condition="attribute_not_exists(PK)"),
            error=Conflict("This payout exists already."),
        )
        self._transaction.stage(
            f"payout day {payee.kind.value} {payee.id} {day} {payout.currency}",
            update_op(
                keys.payee_payout_day(payee.kind.value, payee.id, day, payout.currency),
                "ADD #total :amount SET entity = :entity",
                names={"#total": "total"},
                values={":amount": payout.amount, ":entity": "payout_day"}
                | ({} if paid_today == 0 else {":read": paid_today}),
                condition="attribute_not_exists(#total)" if paid_today == 0 else "#total = :read",
            ),
            error=PayoutDayMoved("Another payout counted against today first; try again."),
        )

    def settle(self, before: Payout, after: Payout) -> None:
        sets = ["#status = :status", "settled_at = :settled"]
        values: dict[str, Any] = {
            ":status": after.status.value,
            ":read": before.status.value,
            ":settled": instant(after.settled_at or after.created_at),
        }
        if after.transfer_id is not None:
            sets.append("transfer_id = :transfer")
            values[":transfer"] = after.transfer_id
        if after.failure is not None:
            sets.append("failure = :failure")
            values[":failure"] = after.failure
        self._transaction.stage(
            f"payout {after.id}",
            update_op(
                _key(after),
                "SET " + ", ".join(sets),
                names={"#status": "status"},
                values=values,
                condition="#status = :read",
            ),
            error=PayoutMoved(f"The payout is no longer {before.status.value}."),
        )
