"""Issue 35, black-box on a local stack as `scripts/run` starts it: a buyer pays with
Stripe's dispute test card; the local Stripe server disputes the charge and its signed
webhook reaches the app, which freezes the amount and flags the order; the dispute is
lost through the SDK (losing evidence), the app books it, and `scripts/ledger-check`
finds 0 differences. Amounts are left to the dispute rules' own tests."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.demo_story import ORGANIZER, Api, wait_until_paid
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack
from tests.e2e.ledger import assert_ledger_check_passes
from tests.e2e.storefront import event_on_sale, pay_with_card, place_order, verified_buyer
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e

DISPUTE_CARD = "4000000000000259"


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_a_lost_dispute_reaches_the_venues_books_and_the_ledger_still_balances(
    stack: LocalStack,
):
    organizer = Api(stack.api_url)
    organizer.login(*ORGANIZER)
    on_sale = event_on_sale(organizer, venue="Exit/In", title="Chargeback night", price_cents=4500)
    venue_id = on_sale.venue_id
    buyer = verified_buyer(stack, name="Bo")
    order = place_order(buyer, on_sale.cart(2))
    order_id = order["order_id"]
    stripe = pay_with_card(stack, order, DISPUTE_CARD)
    intent_id = order["payment"]["payment_intent_id"]
    wait_until_paid(buyer, order_id)
    [dispute] = stripe.v1.disputes.list(params={"payment_intent": intent_id}).data

    def dispute_books(*, closed: bool) -> list[dict[str, Any]]:
        ledger = organizer.call("GET", f"/venues/{venue_id}/ledger")["transactions"]
        booked = [t for t in ledger if t["refs"].get("dispute_id") == dispute.id]
        closes = [t for t in booked if t["kind"] != "dispute_opened"]
        return booked if booked and (bool(closes) == closed) else []

    wait_for(
        lambda: buyer.call("GET", f"/orders/{order_id}")["disputed"],
        what="charge.dispute.created to flag the order",
    )
    [opened] = dispute_books(closed=False)
    assert (opened["kind"], opened["refs"]["order_id"]) == ("dispute_opened", order_id)
    assert organizer.call("GET", f"/venues/{venue_id}/balance")["reserved_cents"] > 0

    lost = stripe.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    assert lost.status == "lost"
    wait_for(lambda: dispute_books(closed=True), what="charge.dispute.closed to be booked")

    assert_ledger_check_passes(stack)
