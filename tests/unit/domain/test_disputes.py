"""What a venue answers for of a dispute: at most its net of the charge after refunds."""

from __future__ import annotations

from dataclasses import replace

from admitone.domain.disputes import venue_answers_for, venue_holds
from admitone.domain.ledger import Components
from admitone.domain.orders import OrderStatus, can_transition
from admitone.domain.refunds import paid_components, reopen, stored_parts
from tests.unit.domain.money_orders import bought


def test_an_unrefunded_order_leaves_the_venue_its_price_less_the_platform_fee():
    order = bought([("tty_a", 10_000, 2)]).order
    paid = paid_components(order)
    assert venue_holds(order) == paid.price - paid.platform_fee
    assert venue_answers_for(order, order.totals.total) == paid.price - paid.platform_fee
    assert venue_answers_for(order, 500) == 500


def test_an_order_refunded_in_full_leaves_the_venue_nothing_to_answer_for():
    order = bought([("tty_a", 10_000, 2)]).order
    refunded = replace(order, refunded=stored_parts(paid_components(order)))
    assert venue_holds(refunded) == 0
    assert venue_answers_for(refunded, order.totals.total) == 0


def test_half_the_price_refunded_halves_what_the_venue_holds():
    order = bought([("tty_a", 10_000, 2)]).order
    paid = paid_components(order)
    half = Components(paid.price // 2, 0, 0, tuple(0 for _ in paid.taxes))
    refunded = replace(order, refunded=stored_parts(half))
    assert venue_holds(refunded) == (paid.price - paid.platform_fee) // 2


def test_a_failed_refund_leaves_a_charged_back_order_charged_back():
    order = bought([("tty_a", 10_000, 2)]).order
    paid = paid_components(order)
    half = Components(paid.price // 2, 0, 0, tuple(0 for _ in paid.taxes))
    charged_back = replace(order, status=OrderStatus.CHARGED_BACK, refunded=stored_parts(half))
    assert reopen(charged_back, half).status_after is OrderStatus.CHARGED_BACK
    assert not can_transition(OrderStatus.CHARGED_BACK, OrderStatus.PAID)
