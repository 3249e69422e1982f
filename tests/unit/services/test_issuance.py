"""Applying a succeeded payment on the fakes: one unit of work pays the order, issues
its tickets, announces them, books the sale and sells the seats; late and mismatched
payments; and the same payment applied again changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from admitone.domain import ledger
from admitone.domain.ledger import clearing, net_deltas
from admitone.domain.orders import (
    PURCHASE_COOLDOWN,
    BuyerStanding,
    Order,
    OrderStatus,
    PaymentStatus,
    SuccessOutcome,
)
from admitone.domain.payments import Intent
from admitone.domain.refunds import order_party, paid_components
from admitone.services import holds, issuance
from admitone.services.orders import place_priced
from tests.unit.services.kit import NOW, Shop, a_buyer, open_shop, signing_keys

__all__ = ["signing_keys"]  # the fixture, used by every test here


@pytest.fixture
def shop() -> Shop:
    shop = open_shop()
    shop.ticket_type("ga", price_cents=5000, capacity=4)
    return shop


def placed(shop: Shop, quantity: int = 2) -> tuple[Order, Intent]:
    """An order awaiting payment, and its PaymentIntent paid by the buyer."""
    order = place_priced(
        shop.ports,
        a_buyer(),
        shop.priced({"ga": quantity}),
        attendee_email=None,
        stripe_key=lambda operation: f"test-{order_key(shop)}-{operation}",
        now=NOW,
    ).order
    assert order.payment_intent_id is not None
    return order, shop.payments.settle(order.payment_intent_id, PaymentStatus.SUCCEEDED)


def order_key(shop: Shop) -> int:
    return len(shop.store.orders.by_id)


def outbox(shop: Shop) -> list[tuple[str, dict[str, object]]]:
    return [(i.event_type, dict(i.detail["data"])) for i in shop.store.outbox.pending(limit=100)]


def test_a_payment_issues_the_tickets_and_announces_them_in_one_unit(shop: Shop):
    order, intent = placed(shop)

    settled = issuance.settle_success(shop.ports, order, intent, now=NOW)

    paid = settled.order
    assert settled.outcome is SuccessOutcome.ISSUE
    assert (paid.status, paid.payment_status, paid.paid_at, paid.version) == (
        OrderStatus.PAID,
        PaymentStatus.SUCCEEDED,
        NOW,
        2,
    )
    tickets = shop.store.tickets.by_ids(paid.ticket_ids)
    assert [t.holder_id for t in tickets] == [order.buyer_id] * 2
    assert shop.seats("ga") == (2, 0, 2)
    assert shop.store.orders.standing(order.buyer_id, order.event_id) == BuyerStanding(
        tickets=2, cooldown_until=NOW + PURCHASE_COOLDOWN
    )
    assert (order.event_id, order.id) in shop.store.orders.paid_of_event
    sale = ledger.sale(order_party(order, shop.event.venue_id), paid_components(order))
    assert shop.store.ledger.balances == {a.id: d for a, d in net_deltas(sale).items()}
    assert shop.store.ledger.balance(clearing("USD")) > 0
    # The consumers' payloads, as they were when the path wrote dicts.
    announced = outbox(shop)
    assert sorted(event for event, _ in announced) == [
        "order.paid",
        "ticket.issued",
        "ticket.issued",
    ]
    assert next(data for event, data in announced if event == "order.paid") == (
        {
            "order_id": order.id,
            "order_number": order.number,
            "event_id": order.event_id,
            "buyer_id": order.buyer_id,
            "total": order.totals.total,
            "currency": "USD",
            "ticket_ids": list(paid.ticket_ids),
            "mint_priority": None,  # an event without NFTs mints nothing
        }
    )
    issued = sorted(
        (data for event, data in announced if event == "ticket.issued"),
        key=lambda data: str(data["ticket_id"]),
    )
    assert issued == [
        {
            "ticket_id": ticket.id,
            "order_id": order.id,
            "event_id": order.event_id,
            "ticket_type_id": shop.types["ga"].id,
            "holder_id": order.buyer_id,
        }
        for ticket in sorted(tickets, key=lambda ticket: ticket.id)
    ]


def test_the_same_payment_applied_again_changes_nothing(shop: Shop):
    order, intent = placed(shop)
    issuance.settle_success(shop.ports, order, intent, now=NOW)
    announced = outbox(shop)

    again = issuance.settle_success(shop.ports, order, intent, now=NOW)

    assert again.outcome is SuccessOutcome.ALREADY_DONE
    assert len(shop.store.tickets.by_id) == 2
    assert outbox(shop) == announced
    assert shop.seats("ga") == (2, 0, 2)


def test_an_order_that_moved_since_it_was_read_is_judged_again_as_it_is_now(shop: Shop):
    order, intent = placed(shop)
    stored = shop.store.orders.by_id[order.id]
    # A webhook recorded ``processing`` meanwhile: the order read is one version behind.
    shop.store.orders.by_id[order.id] = replace(
        stored, payment_status=PaymentStatus.PROCESSING, version=stored.version + 1
    )

    settled = issuance.settle_success(shop.ports, order, intent, now=NOW)

    assert (settled.order.status, settled.order.version) == (OrderStatus.PAID, 3)
    assert len(shop.store.tickets.by_id) == 2


def test_a_late_payment_retakes_the_seats_when_they_are_there(shop: Shop):
    order, intent = placed(shop)
    expired = holds.end_hold(shop.store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)
    assert shop.seats("ga") == (4, 0, 0)

    settled = issuance.settle_success(shop.ports, expired, intent, now=NOW)

    assert settled.outcome is SuccessOutcome.RETAKE
    assert settled.order.status is OrderStatus.PAID
    assert shop.seats("ga") == (2, 0, 2)
    assert shop.store.orders.standing(order.buyer_id, order.event_id).tickets == 2


def test_a_late_payment_whose_seats_are_gone_is_refunded_in_full_once(shop: Shop):
    order, intent = placed(shop, 3)
    expired = holds.end_hold(shop.store, order, OrderStatus.EXPIRED, reason="hold_expired", now=NOW)
    placed(shop, 2)  # another buyer holds two of the four

    settled = issuance.settle_success(shop.ports, expired, intent, now=NOW)
    issuance.settle_success(shop.ports, expired, intent, now=NOW)

    assert settled.order.status is OrderStatus.REFUNDED
    assert shop.payments.refunded(intent.id) == intent.amount
    assert [e for e, _ in outbox(shop)].count("order.refunded") == 1
    assert shop.store.tickets.by_id == {}


def test_a_payment_that_does_not_match_its_order_puts_it_on_hold_with_an_alert(shop: Shop):
    order, intent = placed(shop)

    settled = issuance.settle_success(
        shop.ports, order, replace(intent, amount=intent.amount - 1), now=NOW
    )

    assert settled.order.status is OrderStatus.ON_HOLD
    alert = [data for event, data in outbox(shop) if event == "security.alert"]
    assert alert == [
        {
            "kind": "payment_mismatch",
            "order_id": order.id,
            "payment_intent_id": intent.id,
            "mismatched": ["amount"],
            "paid_amount": intent.amount - 1,
            "paid_currency": "usd",
            "order_total": order.totals.total,
            "order_currency": "USD",
        }
    ]
    assert shop.store.tickets.by_id == {}
