"""Vouchers in the single table: reading one, and the conditional use-count and budget
debit that joins the order's transaction (so a 10-use code is redeemed 10 times, never 11).

Item (``keys.voucher``): ``entity = voucher``, ``code``, ``kind``, ``value``, optional
``max_uses``, ``budget_cents``, ``valid_from``/``valid_to`` (ISO 8601, with
``valid_from_epoch``/``valid_to_epoch`` beside them for conditions), ``ticket_type_ids``,
``uses``, ``spent_cents``. An absent optional limit means unlimited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.catalog import to_voucher
from admitone.adapters.dynamo.table import from_attributes
from admitone.adapters.dynamo.transaction import RawItem, Transaction
from admitone.domain.catalog import Voucher
from admitone.ports.staging import Staged
from admitone.ports.vouchers import VoucherChanges

Op = dict[str, Any]

# Every placeholder appears in every redeem expression (DynamoDB refuses unused ones).
_NAMES = {
    "#uses": "uses",
    "#max_uses": "max_uses",
    "#spent": "spent_cents",
    "#budget": "budget_cents",
    "#valid_from": "valid_from_epoch",
    "#valid_to": "valid_to_epoch",
}
# Valid from valid_from (inclusive) until valid_to (exclusive), in epoch seconds.
_IN_WINDOW = (
    "(attribute_not_exists(#valid_from) OR #valid_from <= :now)"
    " AND (attribute_not_exists(#valid_to) OR #valid_to > :now)"
)


def get_voucher(event_id: str, code: str, *, consistent: bool = False) -> Voucher | None:
    """The voucher ``code`` (already normalized) of the event, or None."""
    item = table.get(keys.voucher(event_id, code), consistent=consistent)
    return to_voucher(item) if item else None


def redeem_op(voucher: Voucher, discount_cents: int, now: datetime) -> Op:
    """``uses += 1, spent_cents += discount_cents`` if the voucher exists, has a use left,
    has ``discount_cents`` of budget left, and ``now`` is within its window.

    Takes the voucher as the checkout read it (it prices the order from it anyway):
    a condition cannot add, so "spent + d <= budget" is written as
    "spent <= B - d AND budget >= B" with B the budget read; a budget raised since
    still passes, one lowered since fails. The use count needs no read:
    ``uses < max_uses`` compares two attributes of the item.
    """
    if discount_cents < 0:
        raise ValueError(f"a discount cannot be negative: {discount_cents}")
    values: dict[str, Any] = {":one": 1, ":d": discount_cents, ":now": int(now.timestamp())}
    if discount_cents == 0:
        budget = "(attribute_not_exists(#budget) OR #spent <= #budget)"
    elif voucher.budget_cents is None:
        # Read as unlimited: a budget added since then must not be overdrawn.
        budget = "attribute_not_exists(#budget)"
    else:
        budget = "(attribute_not_exists(#budget) OR (#budget >= :budget AND #spent <= :spent_max))"
        values[":budget"] = voucher.budget_cents
        values[":spent_max"] = voucher.budget_cents - discount_cents
    return table.update_op(
        keys.voucher(voucher.event_id, voucher.code),
        "SET #uses = #uses + :one, #spent = #spent + :d",
        names=_NAMES,
        values=values,
        condition=(
            "attribute_exists(PK)"
            " AND (attribute_not_exists(#max_uses) OR #uses < #max_uses)"
            f" AND {budget} AND {_IN_WINDOW}"
        ),
    )


def unredeem_op(event_id: str, code: str, discount_cents: int) -> Op:
    """Give back one use and ``discount_cents`` of budget (an order cancelled or expired),
    if the voucher still exists and has that much recorded."""
    if discount_cents < 0:
        raise ValueError(f"a discount cannot be negative: {discount_cents}")
    return table.update_op(
        keys.voucher(event_id, code),
        "SET #uses = #uses - :one, #spent = #spent - :d",
        names={"#uses": "uses", "#spent": "spent_cents"},
        values={":one": 1, ":d": discount_cents},
        condition="attribute_exists(PK) AND #uses >= :one AND #spent >= :d",
    )


def _voucher_of(raw: RawItem) -> Voucher:
    return to_voucher(from_attributes(raw))


class DynamoVoucherChanges(VoucherChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def _stage(self, code: str, operation: Op) -> Staged[Voucher]:
        name = f"voucher {code}"
        self._transaction.stage(name, operation, decode=_voucher_of)
        return Staged(name)

    def redeem(self, voucher: Voucher, discount_cents: int, *, now: datetime) -> Staged[Voucher]:
        return self._stage(voucher.code, redeem_op(voucher, discount_cents, now))

    def give_back(self, event_id: str, code: str, discount_cents: int) -> Staged[Voucher]:
        return self._stage(code, unredeem_op(event_id, code, discount_cents))
