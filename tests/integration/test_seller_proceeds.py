"""A resale seller's proceeds through the API on moto and the local Stripe (issue 19,
RULES §13): pending after the release, payable once the settlement job settles the event
48 h after it ends (with the venue's proceeds), shown by GET /me/proceeds, and
scripts/ledger-check re-derives both from the released escrows: 0 differences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.dynamo import catalog
from admitone.services import venue_money
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.wiring import ports
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Holder
from tests.integration.shop import Shop, open_shop, pay
from tests.integration.test_resale_purchase import FACE, _listed, _purchase, _told


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def released_resale(shop: Shop, price: int = 15000, *, at: datetime | None = None) -> Holder:
    """A listing bought, paid, and released after its cooling period (``at``, by default
    11 minutes from now): its seller."""
    seller, listing = _listed(shop, price=price)
    _, token = shop.buyer()
    purchase = _purchase(shop, listing["listing_id"], token).json()
    pay(purchase["payment"]["payment_intent_id"])
    _told(
        shop.aws,
        "payment_intent.amount_capturable_updated",
        purchase["payment"]["payment_intent_id"],
    )
    shop.aws.use_function("ReleaseEscrowsFunction")
    later = at or datetime.now(UTC) + timedelta(minutes=11)
    released = release_escrow(
        ports(), purchase["escrow_id"], cooling=timedelta(minutes=10), now=later
    )
    assert released is Release.RELEASED
    return seller


def settle(shop: Shop) -> None:
    """The settlement job's run 49 h after the event ends."""
    shop.aws.use_function("SettlementCronFunction")
    event = catalog.get_event(shop.event_id)
    assert event is not None
    assert venue_money.settle_due(event.ends_at + timedelta(hours=49)) == 1


def test_proceeds_are_pending_until_the_event_settles_then_payable(shop: Shop):
    seller = released_resale(shop)

    pending = shop.api.get("/me/proceeds", token=seller.token)
    assert pending.status == 200, pending.body
    assert pending.json() == {
        "proceeds": [
            {
                "currency": "USD",
                "pending_cents": 12750,
                "payable_cents": 0,
                "pending_by_event": [{"event_id": shop.event_id, "pending_cents": 12750}],
            }
        ]
    }
    assert ledger_check().differences == []

    settle(shop)
    settle_again = catalog.get_event(shop.event_id)
    assert settle_again is not None
    assert venue_money.settle_due(settle_again.ends_at + timedelta(hours=50)) == 0

    payable = shop.api.get("/me/proceeds", token=seller.token).json()
    assert payable == {
        "proceeds": [
            {"currency": "USD", "pending_cents": 0, "payable_cents": 12750, "pending_by_event": []}
        ]
    }
    report = ledger_check()
    assert report.differences == []


def test_someone_without_resales_has_no_proceeds(shop: Shop):
    _, token = shop.buyer()
    assert shop.api.get("/me/proceeds", token=token).json() == {"proceeds": []}


def test_sample_event(aws: AwsStack):
    response = aws.invoke_sample("MyProceedsFunction", "ok")
    assert response["statusCode"] == 200, response["body"]
