"""scripts/ledger-check re-derives each venue's balances from the business records, so a
wrong entry that balances is reported too (issue 35). Each test here books money the way
an old bug did, entries summing to zero, and expects the check to name the accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitone.adapters.dynamo import catalog
from admitone.domain import ledger
from admitone.services import disputes, refunds, venue_money
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.money_kit import (
    ask_refund,
    dispute_object,
    order,
    stripe_webhook,
    venue_of,
)
from tests.integration.shop import Shop, open_shop

PRICE = 10_000


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": PRICE, "capacity": 10}})


def _settle(aws: AwsStack, shop: Shop) -> None:
    aws.use_function("SettlementCronFunction")
    event = catalog.get_event(shop.event_id)
    assert event is not None
    assert venue_money.settle_due(event.ends_at + timedelta(hours=49)) == 1


def _accounts_named(differences: list[str]) -> set[str]:
    return {line.split(": ", 1)[0] for line in differences}


def test_a_refund_booked_onto_pending_proceeds_after_settlement_is_reported(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 1's trace: settlement moved the proceeds, then a refund still drew on them."""
    holder = buy(shop, 2)
    _settle(aws, shop)
    venue = venue_of(shop)
    pending = ledger.pending(venue, shop.event_id, "USD")
    monkeypatch.setattr(refunds, "venue_account_now", lambda *_: (pending, []))

    refunded = ask_refund(shop.api, holder.order_id, shop.organizer_token, {"amount_cents": 3_000})
    assert refunded.status == 201, refunded.body

    report = ledger_check()
    assert _accounts_named(report.differences) == {pending.id, ledger.available(venue, "USD").id}
    assert all(": ledger " in line for line in report.differences)  # the entries still balance


def test_a_lost_dispute_that_takes_more_than_the_venue_held_is_reported(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 3's trace: a whole-charge dispute after a full refund debited the venue again."""
    holder = buy(shop, 1)
    _settle(aws, shop)
    assert ask_refund(shop.api, holder.order_id, shop.organizer_token).status == 201
    monkeypatch.setattr(disputes, "venue_answers_for", lambda _order, disputed: disputed)

    total = order(holder.order_id).totals.total
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(holder.order_id, total, status="lost")
    )

    report = ledger_check()
    available = ledger.available(venue_of(shop), "USD").id
    assert report.differences == [f"{available}: ledger {-total}, business records 0 ({-total:+d})"]
