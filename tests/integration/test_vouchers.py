"""Voucher redemption against the table (moto in-process, serialized as DynamoDB is
atomic per item): use counts, budgets, validity windows, giving a use back, joining a
hold, and real threads racing for the last uses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.aws import client
from admitone.adapters.dynamo import catalog, table, vouchers
from admitone.adapters.dynamo import inventory as store
from admitone.adapters.dynamo.store import DynamoStore
from admitone.adapters.dynamo.table import TransactionCancelled
from admitone.config import settings
from admitone.domain.catalog import TicketType, Voucher, VoucherKind
from admitone.domain.money import Currency
from admitone.ports.unit_of_work import ChangeRefused, Staged
from admitone.services import inventory
from tests.integration.conftest import AwsStack

EVENT = "evt_01"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


@pytest.fixture
def ddb(aws: AwsStack) -> AwsStack:
    aws.use_function("HealthFunction")
    client("dynamodb")  # one warm container's client and settings, shared by threads
    settings()
    return aws


def voucher(code: str = "SPRING", **fields: object) -> Voucher:
    """A voucher as the catalog writes it (catalog.create_voucher: the shape's writer)."""
    created = replace(Voucher(EVENT, code, VoucherKind.FIXED, 500), **fields)
    catalog.create_voucher(created)
    return created


def redeem(read: Voucher, discount_cents: int, now: datetime = NOW) -> bool:
    try:
        table.transact([vouchers.redeem_op(read, discount_cents, now)])
    except TransactionCancelled:
        return False
    return True


def stored(code: str = "SPRING") -> Voucher:
    found = vouchers.get_voucher(EVENT, code, consistent=True)
    assert found is not None
    return found


def test_a_voucher_reads_back_as_the_catalog_wrote_it(ddb: AwsStack):
    created = voucher(
        max_uses=10,
        budget_cents=5000,
        valid_from=NOW,
        valid_to=NOW + timedelta(days=7),
        ticket_type_ids=("tty_ga", "tty_vip"),
    )

    assert vouchers.get_voucher(EVENT, "SPRING") == created
    assert vouchers.get_voucher(EVENT, "NOPE") is None
    assert vouchers.get_voucher("evt_other", "SPRING") is None


def test_a_redemption_counts_a_use_and_spends_the_discount(ddb: AwsStack):
    read = voucher(max_uses=3, budget_cents=2000)

    assert redeem(read, 500)
    assert redeem(read, 300)

    assert (stored().uses, stored().spent_cents) == (2, 800)


def test_a_three_use_voucher_is_redeemed_three_times_never_four(ddb: AwsStack):
    read = voucher(max_uses=3)

    assert [redeem(read, 500) for _ in range(5)] == [True, True, True, False, False]
    assert stored().uses == 3


def test_a_voucher_without_limits_is_redeemed_without_end(ddb: AwsStack):
    read = voucher()

    assert all(redeem(read, 500) for _ in range(25))
    assert (stored().uses, stored().spent_cents) == (25, 12500)


def test_an_unknown_voucher_cannot_be_redeemed_and_is_not_created(ddb: AwsStack):
    ghost = Voucher(EVENT, "GHOST", VoucherKind.FIXED, 500)

    assert not redeem(ghost, 500)
    assert vouchers.get_voucher(EVENT, "GHOST", consistent=True) is None


# budgets


def test_the_budget_caps_the_sum_of_discounts(ddb: AwsStack):
    read = voucher(budget_cents=1000)

    assert [redeem(read, 300) for _ in range(4)] == [True, True, True, False]
    assert redeem(read, 100)  # exactly the budget
    assert not redeem(read, 1)
    assert redeem(read, 0)  # a zero discount (an access code, a free ticket) spends nothing
    assert (stored().uses, stored().spent_cents) == (5, 1000)


def test_a_discount_larger_than_the_whole_budget_is_refused(ddb: AwsStack):
    read = voucher(budget_cents=1000)

    assert not redeem(read, 1001)
    assert stored().uses == 0


def test_a_budget_lowered_since_the_read_is_not_overdrawn(ddb: AwsStack):
    read = voucher(budget_cents=1000)
    table.update(
        {"PK": f"EVENT#{EVENT}", "SK": "VOUCHER#SPRING"},
        "SET budget_cents = :b",
        values={":b": 400},
    )

    assert not redeem(read, 500)  # 500 <= 1000 as read, but not <= 400


def test_a_budget_raised_since_the_read_still_redeems(ddb: AwsStack):
    read = voucher(budget_cents=1000)
    table.update(
        {"PK": f"EVENT#{EVENT}", "SK": "VOUCHER#SPRING"},
        "SET budget_cents = :b",
        values={":b": 5000},
    )

    assert redeem(read, 1000)


def test_a_budget_added_after_an_unlimited_read_is_not_overdrawn(ddb: AwsStack):
    read = voucher()
    table.update(
        {"PK": f"EVENT#{EVENT}", "SK": "VOUCHER#SPRING"},
        "SET budget_cents = :b",
        values={":b": 100},
    )

    assert not redeem(read, 500)
    assert redeem(read, 0)


def test_a_negative_discount_is_a_programming_error(ddb: AwsStack):
    with pytest.raises(ValueError, match="negative"):
        vouchers.redeem_op(Voucher(EVENT, "SPRING", VoucherKind.FIXED, 500), -1, NOW)
    with pytest.raises(ValueError, match="negative"):
        vouchers.unredeem_op(EVENT, "SPRING", -1)


# validity window


def test_a_voucher_is_valid_from_its_start_until_just_before_its_end(ddb: AwsStack):
    start, end = NOW, NOW + timedelta(days=1)
    read = voucher(valid_from=start, valid_to=end)

    assert not redeem(read, 100, now=start - timedelta(seconds=1))
    assert redeem(read, 100, now=start)
    assert redeem(read, 100, now=end - timedelta(seconds=1))
    assert not redeem(read, 100, now=end)
    assert stored().uses == 2


def test_an_open_ended_window_has_one_bound_only(ddb: AwsStack):
    from_only = voucher("FROMONLY", valid_from=NOW)
    to_only = voucher("TOONLY", valid_to=NOW)

    assert redeem(from_only, 100, now=NOW + timedelta(days=3650))
    assert not redeem(from_only, 100, now=NOW - timedelta(days=1))
    assert redeem(to_only, 100, now=NOW - timedelta(days=3650))
    assert not redeem(to_only, 100, now=NOW)


# giving a use back


def test_unredeeming_gives_back_the_use_and_the_budget(ddb: AwsStack):
    read = voucher(max_uses=1, budget_cents=500)
    assert redeem(read, 500)
    assert not redeem(read, 500)

    table.transact([vouchers.unredeem_op(EVENT, "SPRING", 500)])

    assert (stored().uses, stored().spent_cents) == (0, 0)
    assert redeem(read, 500)


def test_unredeeming_more_than_was_redeemed_is_refused(ddb: AwsStack):
    read = voucher()
    assert redeem(read, 200)

    with pytest.raises(TransactionCancelled):
        table.transact([vouchers.unredeem_op(EVENT, "SPRING", 300)])
    table.transact([vouchers.unredeem_op(EVENT, "SPRING", 200)])
    with pytest.raises(TransactionCancelled):
        table.transact([vouchers.unredeem_op(EVENT, "SPRING", 0)])  # no use left to give back
    assert (stored().uses, stored().spent_cents) == (0, 0)


def test_unredeeming_a_deleted_voucher_does_not_recreate_it(ddb: AwsStack):
    with pytest.raises(TransactionCancelled):
        table.transact([vouchers.unredeem_op(EVENT, "GONE", 100)])
    assert vouchers.get_voucher(EVENT, "GONE", consistent=True) is None


# in the order's transaction


def test_an_exhausted_voucher_fails_the_hold_it_joined_and_nothing_is_held(ddb: AwsStack):
    ga = TicketType("tty_ga", EVENT, "GA", 5000, Currency.USD, capacity=10)
    table.transact(store.new_inventory_ops(EVENT, "tty_ga", 10, 1))
    read = voucher(max_uses=1)

    redeemed: list[Staged[Voucher]] = []

    def with_voucher() -> None:
        inventory.hold(
            DynamoStore(),
            EVENT,
            [(ga, 2)],
            also=lambda uow, _: redeemed.append(uow.vouchers.redeem(read, 500, now=NOW)),
        )

    with_voucher()
    with pytest.raises(ChangeRefused) as refused:
        with_voucher()
    # The refusal names the voucher and hands it back as it was: its one use spent.
    assert refused.value.refused(redeemed[-1])
    exhausted = refused.value.as_was(redeemed[-1])
    assert exhausted is not None
    assert exhausted.uses == 1

    assert store.inventory_of_owner(EVENT, "tty_ga").totals.held == 2
    assert stored().uses == 1


# real concurrency


def race(buyers: int, attempt: Callable[[], bool]) -> list[bool]:
    start = threading.Barrier(buyers)
    outcomes: list[bool] = []

    def run() -> None:
        start.wait()
        outcomes.append(attempt())

    threads = [threading.Thread(target=run) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_ten_use_voucher_redeemed_by_40_threads_succeeds_exactly_10_times(ddb: AwsStack):
    read = voucher(max_uses=10)

    outcomes = race(40, lambda: redeem(read, 500))

    assert outcomes.count(True) == 10
    assert outcomes.count(False) == 30
    assert (stored().uses, stored().spent_cents) == (10, 5000)


def test_a_budget_of_10_discounts_shared_by_40_threads_pays_exactly_10(ddb: AwsStack):
    read = voucher(budget_cents=1000)

    outcomes = race(40, lambda: redeem(read, 100))

    assert outcomes.count(True) == 10
    assert (stored().uses, stored().spent_cents) == (10, 1000)
