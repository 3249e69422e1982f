"""Settlement and refunds cannot interleave so that money is lost between them (issue 35,
hole 1): a refund booked while settlement is under way either lands in the pending
proceeds that settlement then moves, or waits and comes out of the available balance.

The interleaving is forced, not hoped for: settlement's read of the pending shards is
wrapped so that the buyer's refund is booked right after it, onto a shard settlement did
not read (the shard it picks is pinned)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.domain import ledger
from admitone.services import venue_money
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.money_kit import ask_refund, assert_ledger_balances, balance, venue_of
from tests.integration.shop import Shop, open_shop

PRICE = 10_000
REFUND = 3_000


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": PRICE, "capacity": 10}})


def test_a_refund_booked_while_settlement_reads_the_pending_shards_is_not_lost(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = buy(shop, 2)
    pending = ledger.pending(venue_of(shop), shop.event_id, "USD")
    read_before = {shard.shard for shard in ledger_store.shards_of(pending)}
    unread_shard = min(set(range(ledger_store.shard_count(pending))) - read_before)
    real_shards_of: Callable[[ledger.Account], list[Any]] = ledger_store.shards_of
    real_balance_op = ledger_store.balance_op

    def onto_the_unread_shard(account: ledger.Account, delta: int, **kwargs: Any) -> Any:
        if account == pending and kwargs.get("shard") is None:
            kwargs["shard"] = unread_shard
        return real_balance_op(account, delta, **kwargs)

    interleaved: list[int] = []  # the pending proceeds right after the refund

    def shards_then_a_refund(account: ledger.Account) -> list[Any]:
        read = real_shards_of(account)
        if account == pending and not interleaved:
            interleaved.append(0)
            with monkeypatch.context() as pinned:
                pinned.setattr(ledger_store, "balance_op", onto_the_unread_shard)
                refunded = ask_refund(
                    shop.api, holder.order_id, shop.organizer_token, {"amount_cents": REFUND}
                )
            assert refunded.status == 201, refunded.body
            interleaved[0] = balance(shop)["pending_cents"]
            aws.use_function("SettlementCronFunction")
        return read

    event = catalog.get_event(shop.event_id)
    assert event is not None
    aws.use_function("SettlementCronFunction")
    with monkeypatch.context() as interleaving:
        interleaving.setattr(ledger_store, "shards_of", shards_then_a_refund)
        assert venue_money.settle_due(event.ends_at + timedelta(hours=49)) == 1

    assert interleaved, "settlement never read the pending shards"
    after_refund = interleaved[0]
    assert 0 < after_refund < 2 * PRICE
    after = balance(shop)
    assert (after["pending_cents"], after["available_cents"]) == (0, after_refund)
    assert_ledger_balances()
