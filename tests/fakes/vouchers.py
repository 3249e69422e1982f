"""Voucher codes' uses and budget, in memory (as adapters/dynamo/vouchers.py)."""

from __future__ import annotations

from dataclasses import replace

from admitone.domain.catalog import Voucher
from admitone.ports.vouchers import VoucherChanges
from tests.fakes.transaction import FakeTransaction


class FakeVouchers:
    def __init__(self) -> None:
        self.by_code: dict[tuple[str, str], Voucher] = {}

    def add(self, voucher: Voucher) -> None:
        self.by_code[(voucher.event_id, voucher.code)] = voucher


class FakeVoucherChanges(VoucherChanges):
    def __init__(self, vouchers: FakeVouchers, transaction: FakeTransaction) -> None:
        self._vouchers = vouchers
        self._transaction = transaction

    def give_back(self, event_id: str, code: str, discount_cents: int) -> None:
        if discount_cents < 0:
            raise ValueError(f"a discount cannot be negative: {discount_cents}")
        key = (event_id, code)

        def holds() -> bool:
            voucher = self._vouchers.by_code.get(key)
            return (
                voucher is not None
                and voucher.uses >= 1
                and voucher.spent_cents >= (discount_cents)
            )

        def apply() -> None:
            voucher = self._vouchers.by_code[key]
            self._vouchers.by_code[key] = replace(
                voucher, uses=voucher.uses - 1, spent_cents=voucher.spent_cents - discount_cents
            )

        self._transaction.stage(f"voucher {code}", holds=holds, apply=apply)
