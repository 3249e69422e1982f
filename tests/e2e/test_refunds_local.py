"""Issue 9, black-box on a local stack as `scripts/run` starts it: a buyer pays for 3
tickets with a test card (Stripe's webhook issues them), refunds one; that ticket turns
void, the refund is exactly its share of price and tax, the venue's ledger shows the
reversal, and `scripts/ledger-check` finds 0 differences."""

from __future__ import annotations

import uuid

import pytest

from admitone.domain.money import allocate
from scripts.demo_story import CARD, ORGANIZER, Api, wait_until_paid
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack
from tests.e2e.ledger import assert_ledger_check_passes
from tests.e2e.storefront import event_on_sale, pay_with_card, place_order, verified_buyer

pytestmark = pytest.mark.e2e

PRICE = 5000


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_a_buyer_refunds_one_of_three_tickets_and_the_ledger_still_balances(stack: LocalStack):
    organizer = Api(stack.api_url)
    organizer.login(*ORGANIZER)
    on_sale = event_on_sale(organizer, venue="Ryman", title="Refund night", price_cents=PRICE)
    buyer = verified_buyer(stack, name="Ada")
    order = place_order(buyer, on_sale.cart(3))
    stripe = pay_with_card(stack, order, CARD)
    intent_id = order["payment"]["payment_intent_id"]
    paid, _ = wait_until_paid(buyer, order["order_id"])
    first, *others = paid["tickets"]

    refund = buyer.call(
        "POST",
        f"/orders/{order['order_id']}/refunds",
        {"ticket_ids": [first["id"]]},
        **{"Idempotency-Key": f"e2e-refund-{uuid.uuid4()}"},
    )

    share = PRICE + sum(
        allocate(tax["amount_cents"], [PRICE] * 3)[0] for tax in paid["totals"]["taxes"]
    )
    assert refund["amount_cents"] == share
    after = buyer.call("GET", f"/orders/{order['order_id']}")
    assert after["status"] == "partially_refunded"
    assert [t["status"] for t in after["tickets"]] == ["void", "valid", "valid"]
    assert [t["id"] for t in after["tickets"][1:]] == [t["id"] for t in others]
    refunds = stripe.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.amount for r in refunds.data] == [share]

    ledger = organizer.call("GET", f"/venues/{on_sale.venue_id}/ledger")["transactions"]
    reversal = next(t for t in ledger if t["kind"] == "refund")
    assert reversal["refs"]["order_id"] == order["order_id"]
    venue_lines = [
        e["amount_cents"] for e in reversal["entries"] if e["account"].startswith("venue_pending:")
    ]
    assert venue_lines == [PRICE]  # the ticket's price taken back from the venue's proceeds
    assert sum(e["amount_cents"] for e in reversal["entries"]) == 0

    assert_ledger_check_passes(stack)
