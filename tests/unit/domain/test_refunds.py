"""Refund rules (RULES §9): who may refund what, each ticket's exact share, never more
than is left of any part, and what a failed refund gives back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from admitone.domain.errors import ValidationFailed
from admitone.domain.ledger import Components
from admitone.domain.money import percent_of
from admitone.domain.orders import OrderStatus
from admitone.domain.refunds import (
    OrderNotRefundable,
    RefundAsk,
    RefundExceedsRemaining,
    RefundNotAllowed,
    RefundReason,
    Requester,
    order_party,
    paid_components,
    plan_refund,
    refunded_components,
    refunded_total,
    reopen,
    status_for,
    stored_parts,
    stripe_reason,
    ticket_components,
)
from admitone.domain.tickets import TicketStatus
from tests.unit.domain.money_orders import PAID_AT, STARTS_AT, Bought, bought

NOW = PAID_AT + timedelta(days=1)


def plan(b: Bought, ask: RefundAsk, requester: Requester = Requester.BUYER, **overrides):
    return plan_refund(
        b.order,
        ask,
        requester=requester,
        tickets=overrides.pop("tickets", b.tickets),
        # Here every void ticket was voided by a refund that stands, unless a test says.
        refunded_ticket_ids=overrides.pop(
            "refunded",
            {tid for tid, t in b.tickets.items() if t.status is TicketStatus.VOID},
        ),
        event_starts_at=overrides.pop("starts_at", STARTS_AT),
        now=overrides.pop("now", NOW),
        owed_ticket_ids=overrides.pop("owed", frozenset()),
    )


def after(b: Bought, refund) -> Bought:
    """The order as the refund leaves it."""
    tickets = {
        tid: replace(t, status=TicketStatus.VOID) if tid in refund.void_ticket_ids else t
        for tid, t in b.tickets.items()
    }
    order = replace(
        b.order, status=refund.status_after, refunded=stored_parts(refund.refunded_after)
    )
    return Bought(order, tickets)


# ------------------------------------------------------------------ by ticket
def test_a_ticket_refund_is_its_price_and_its_tax_share_fees_kept():
    b = bought([("tty_a", 5000, 3)])
    refund = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)))
    # Tax lines 1050, 338, 150 split over three tickets, the extra cent to the first.
    assert refund.amounts == Components(price=5000, platform_fee=0, nft_fee=0, taxes=(350, 113, 50))
    assert refund.amount == 5513
    assert refund.void_ticket_ids == (b.ticket_ids[0],)
    assert refund.status_after is OrderStatus.PARTIALLY_REFUNDED
    assert refund.fee_returned == 1230 // 3  # the venue's share of the fee, given back


def test_a_discounted_ticket_refunds_what_was_paid_for_it():
    b = bought([("tty_a", 5000, 1), ("tty_b", 2000, 1)], voucher_bps=1000)
    refund = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[1],)))
    assert refund.amounts.price == 2000 - 200
    assert refund.amounts.taxes == tuple(percent_of(1800, bps) for bps in (700, 225, 100))


def test_refunding_every_ticket_returns_price_and_tax_exactly_but_keeps_the_fees():
    b = bought([("tty_a", 3333, 2), ("tty_b", 1001, 1)], nft=True)
    total = 0
    for ticket_id in b.ticket_ids:
        refund = plan(b, RefundAsk(ticket_ids=(ticket_id,)))
        total += refund.amount
        b = after(b, refund)
    paid = paid_components(b.order)
    assert total == paid.price + sum(paid.taxes)
    assert b.order.status is OrderStatus.PARTIALLY_REFUNDED
    left = plan(b, RefundAsk(), Requester.ORGANIZER)
    assert left.amounts == Components(0, paid.platform_fee, paid.nft_fee, (0, 0, 0))
    assert left.status_after is OrderStatus.REFUNDED


def test_a_buyer_without_ticket_ids_refunds_every_ticket_they_still_hold():
    b = bought([("tty_a", 5000, 2)])
    moved_on = {
        **b.tickets,
        b.ticket_ids[1]: replace(b.tickets[b.ticket_ids[1]], holder_id="usr_friend"),
    }
    refund = plan(b, RefundAsk(), tickets=moved_on)
    assert refund.void_ticket_ids == (b.ticket_ids[0],)


@pytest.mark.parametrize(
    ("ask", "overrides", "field", "reason"),
    [
        (RefundAsk(amount=100), {}, "amount_cents", "buyers refund by ticket"),
        (RefundAsk(reason=RefundReason.EVENT_CANCELLED), {}, "reason", "not a buyer's reason"),
        (
            RefundAsk(),
            {"now": PAID_AT + timedelta(days=30, seconds=1)},
            "ticket_ids",
            "refund window closed",
        ),
        (RefundAsk(), {"now": STARTS_AT}, "ticket_ids", "event started"),
    ],
    ids=["amount", "cancellation-reason", "after-30-days", "event-started"],
)
def test_the_buyer_policy_names_its_reason(ask, overrides, field, reason):
    b = bought([("tty_a", 5000, 1)])
    with pytest.raises(RefundNotAllowed) as refused:
        plan(b, ask, **overrides)
    assert (refused.value.errors[0].field, refused.value.errors[0].message) == (field, reason)


def test_the_30_day_window_counts_from_creation_when_no_payment_time_was_kept():
    b = bought([("tty_a", 5000, 1)])
    b = Bought(replace(b.order, paid_at=None), b.tickets)
    later = PAID_AT + timedelta(days=30)
    assert plan(b, RefundAsk(), now=later, starts_at=later + timedelta(days=1)).amount > 0


def test_a_buyer_may_not_refund_a_ticket_they_transferred():
    b = bought([("tty_a", 5000, 1)])
    transferred = {b.ticket_ids[0]: replace(b.tickets[b.ticket_ids[0]], holder_id="usr_friend")}
    with pytest.raises(RefundNotAllowed):
        plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)), tickets=transferred)
    organizer = plan(
        b, RefundAsk(ticket_ids=(b.ticket_ids[0],)), Requester.ORGANIZER, tickets=transferred
    )
    assert organizer.void_ticket_ids == (b.ticket_ids[0],)


def test_tickets_of_another_order_void_or_named_twice_are_each_reported():
    b = bought([("tty_a", 5000, 2)])
    void = {
        **b.tickets,
        b.ticket_ids[1]: replace(b.tickets[b.ticket_ids[1]], status=TicketStatus.VOID),
    }
    ask = RefundAsk(ticket_ids=("tkt_other", b.ticket_ids[1], b.ticket_ids[0], b.ticket_ids[0]))
    with pytest.raises(ValidationFailed) as refused:
        plan(b, ask, tickets=void)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("ticket_ids[0]", "TICKET_NOT_IN_ORDER"),
        ("ticket_ids[1]", "TICKET_NOT_REFUNDABLE"),
        ("ticket_ids", "TICKET_REPEATED"),
    ]


# ------------------------------------------------------------------ by amount
def test_an_amount_is_split_over_the_parts_in_proportion_to_what_is_left():
    b = bought([("tty_a", 10000, 1)], nft=True)
    paid = paid_components(b.order)
    refund = plan(b, RefundAsk(amount=paid.total // 2), Requester.ORGANIZER)
    assert refund.amount == paid.total // 2
    assert all(
        abs(2 * part - whole) <= 2
        for part, whole in zip(refund.amounts.as_list(), paid.as_list(), strict=True)
    )
    assert refund.void_ticket_ids == ()  # a partial amount voids no ticket


def test_organizers_refund_everything_left_by_default_fees_included_and_every_ticket_voids():
    b = bought([("tty_a", 5000, 2)], nft=True)
    refund = plan(b, RefundAsk(reason=RefundReason.DUPLICATE), Requester.ORGANIZER)
    assert refund.amount == b.order.totals.total
    assert refund.status_after is OrderStatus.REFUNDED
    assert set(refund.void_ticket_ids) == set(b.ticket_ids)
    assert refund.fee_returned == b.order.totals.platform_fee


def test_more_than_is_left_is_refused_naming_what_is_left():
    b = bought([("tty_a", 5000, 1)])
    b = after(b, plan(b, RefundAsk(amount=5000), Requester.ORGANIZER))
    with pytest.raises(RefundExceedsRemaining) as refused:
        plan(b, RefundAsk(amount=b.order.totals.total - 5000 + 1), Requester.ORGANIZER)
    assert "$" in refused.value.detail
    assert refused.value.errors[0].field == "amount_cents"


# ------------------------------------------------------- by ticket, after amounts
def test_a_ticket_refund_after_a_40_percent_amount_refund_returns_60_percent_of_its_share():
    b = bought([("tty_a", 5000, 2)], nft=True)
    share = ticket_components(b.order.shares[0])
    b = after(b, plan(b, RefundAsk(amount=b.order.totals.total * 40 // 100), Requester.ORGANIZER))
    first = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)))
    # Each part: the ticket's share less its 40 % pro-rata part, within a cent of rounding.
    for part, paid in zip(first.amounts.as_list(), share.as_list(), strict=True):
        assert abs(part - percent_of(paid, 6000)) <= 1
    # The acceptance bound: at most the ticket's share less 20 % of the order.
    ticket_total = b.order.totals.total // 2
    assert first.amount <= ticket_total - b.order.totals.total * 20 // 100
    b = after(b, first)
    # The last ticket gets exactly what is left of price and tax: no cent lost, none twice.
    last = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[1],)))
    left = paid_components(b.order).minus(refunded_components(b.order))
    assert (last.amounts.price, last.amounts.taxes) == (left.price, left.taxes)
    assert (last.amounts.platform_fee, last.amounts.nft_fee) == (0, 0)


def test_an_amount_refund_after_a_ticket_refund_is_taken_from_the_tickets_still_held():
    b = bought([("tty_a", 5000, 2)])
    b = after(b, plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],))))
    b = after(b, plan(b, RefundAsk(amount=1000), Requester.ORGANIZER))
    last = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[1],)))
    left = paid_components(b.order).minus(refunded_components(b.order))
    assert (last.amounts.price, last.amounts.taxes) == (left.price, left.taxes)
    assert last.amounts.price < 5000


def test_a_ticket_whose_refund_failed_keeps_its_money_from_the_other_tickets():
    b = bought([("tty_a", 5000, 2)])
    b = after(b, plan(b, RefundAsk(amount=b.order.totals.total * 40 // 100), Requester.ORGANIZER))
    first = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)))
    b = after(b, first)
    reopened = reopen(b.order, first.amounts)
    b = Bought(
        replace(
            b.order, status=reopened.status_after, refunded=stored_parts(reopened.refunded_after)
        ),
        b.tickets,
    )
    # The first ticket stays void, its refund failed: the second gets its own part only
    # (the same, but for a cent of rounding), and the first one's part is left.
    second = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[1],)), refunded=set())
    left = paid_components(b.order).minus(refunded_components(b.order))
    assert second.amounts.plus(first.amounts).price == left.price
    assert second.amounts.plus(first.amounts).taxes == left.taxes
    assert all(
        abs(ours - theirs) <= 1
        for ours, theirs in zip(second.amounts.as_list(), first.amounts.as_list(), strict=True)
    )


def test_after_an_amount_refund_failed_no_ticket_gets_more_than_it_paid():
    b = bought([("tty_a", 5000, 2)])
    share = ticket_components(b.order.shares[1])
    by_amount = plan(b, RefundAsk(amount=b.order.totals.total * 40 // 100), Requester.ORGANIZER)
    b = after(b, by_amount)
    b = after(b, plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],))))
    reopened = reopen(b.order, by_amount.amounts)
    b = Bought(
        replace(
            b.order, status=reopened.status_after, refunded=stored_parts(reopened.refunded_after)
        ),
        b.tickets,
    )
    last = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[1],)))
    assert last.amounts == share  # not the first ticket's 40 % as well


def failed(b: Bought, refund) -> Bought:
    """The order once Stripe reported ``refund`` failed: its tickets stay void."""
    reopened = reopen(b.order, refund.amounts)
    order = replace(
        b.order, status=reopened.status_after, refunded=stored_parts(reopened.refunded_after)
    )
    return Bought(order, b.tickets)


def test_a_ticket_whose_refund_failed_is_owed_and_its_buyer_gets_it_back_without_a_second_seat():
    b = bought([("tty_a", 5000, 3)])
    owed = b.ticket_ids[0]
    first = plan(b, RefundAsk(ticket_ids=(owed,)))
    b = failed(after(b, first), first)
    assert b.order.status is OrderStatus.PAID
    with pytest.raises(ValidationFailed):  # not owed: voided by a refund that stands
        plan(b, RefundAsk(ticket_ids=(owed,)))

    again = plan(b, RefundAsk(ticket_ids=(owed,)), refunded=set(), owed={owed})

    assert again.amounts == first.amounts
    assert (again.ticket_ids, again.void_ticket_ids) == ((owed,), ())  # void already
    assert again.restock == {}  # its seat went back on sale with the refund that failed
    assert again.status_after is OrderStatus.PARTIALLY_REFUNDED


def test_a_buyers_refund_of_everything_takes_back_the_owed_ticket_too():
    b = bought([("tty_a", 5000, 2)])
    owed = b.ticket_ids[0]
    first = plan(b, RefundAsk(ticket_ids=(owed,)))
    b = failed(after(b, first), first)
    everything = plan(b, RefundAsk(), refunded=set(), owed={owed})
    assert everything.ticket_ids == tuple(b.ticket_ids)
    assert everything.void_ticket_ids == (b.ticket_ids[1],)
    assert everything.restock["tty_a"].units == 1
    paid = paid_components(b.order)
    assert everything.amounts.price == paid.price


def test_an_owed_ticket_transferred_since_is_the_organizers_to_refund():
    b = bought([("tty_a", 5000, 2)])
    owed = b.ticket_ids[0]
    first = plan(b, RefundAsk(ticket_ids=(owed,)))
    b = failed(after(b, first), first)
    moved = {**b.tickets, owed: replace(b.tickets[owed], holder_id="usr_friend")}
    with pytest.raises(RefundNotAllowed):
        plan(b, RefundAsk(ticket_ids=(owed,)), tickets=moved, refunded=set(), owed={owed})
    everything = plan(b, RefundAsk(), tickets=moved, refunded=set(), owed={owed})
    assert everything.ticket_ids == (b.ticket_ids[1],)
    organizer = plan(
        b,
        RefundAsk(ticket_ids=(owed,)),
        Requester.ORGANIZER,
        tickets=moved,
        refunded=set(),
        owed={owed},
    )
    assert organizer.ticket_ids == (owed,)


def test_refunding_an_order_in_full_takes_back_the_owed_tickets_money_but_voids_only_the_rest():
    b = bought([("tty_a", 5000, 3)])
    owed = b.ticket_ids[1]
    first = plan(b, RefundAsk(ticket_ids=(owed,)))
    b = failed(after(b, first), first)
    whole = plan(b, RefundAsk(), Requester.ORGANIZER, refunded=set(), owed={owed})
    assert whole.amount == b.order.totals.total
    assert whole.status_after is OrderStatus.REFUNDED
    assert set(whole.ticket_ids) == set(b.ticket_ids)
    assert whole.void_ticket_ids == (b.ticket_ids[0], b.ticket_ids[2])
    assert whole.restock["tty_a"].units == 2
    last = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[2],)), refunded={owed}, owed=set())
    last_then_all = plan(
        after(b, last), RefundAsk(), Requester.ORGANIZER, refunded={owed}, owed=set()
    )
    assert owed not in last_then_all.ticket_ids  # its money went back with a standing refund


def test_a_ticket_with_nothing_left_to_refund_is_refused_naming_the_tickets():
    b = bought([("tty_free", 0, 1), ("tty_a", 5000, 1)])
    with pytest.raises(RefundExceedsRemaining) as refused:
        plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)))
    assert refused.value.errors[0].field == "ticket_ids"


def test_a_buyer_with_no_ticket_left_has_nothing_to_refund():
    b = bought([("tty_a", 5000, 1)])
    b = after(b, plan(b, RefundAsk()))
    with pytest.raises(RefundExceedsRemaining) as refused:
        plan(b, RefundAsk())
    assert refused.value.errors[0].field == "ticket_ids"


def test_nothing_left_is_refused():
    b = bought([("tty_a", 5000, 1)])
    b = after(b, plan(b, RefundAsk(), Requester.ORGANIZER))
    b = Bought(replace(b.order, status=OrderStatus.PARTIALLY_REFUNDED), b.tickets)
    with pytest.raises(RefundExceedsRemaining):
        plan(b, RefundAsk(), Requester.SYSTEM)


def test_an_amount_and_tickets_together_are_refused():
    b = bought([("tty_a", 5000, 1)])
    with pytest.raises(ValidationFailed) as refused:
        plan(b, RefundAsk(amount=100, ticket_ids=(b.ticket_ids[0],)), Requester.ORGANIZER)
    assert refused.value.errors[0].field == "amount_cents"


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PENDING_PAYMENT, OrderStatus.REFUNDED, OrderStatus.ON_HOLD, OrderStatus.EXPIRED],
)
def test_only_paid_orders_are_refunded(status):
    b = bought([("tty_a", 5000, 1)])
    with pytest.raises(OrderNotRefundable):
        plan(Bought(replace(b.order, status=status), b.tickets), RefundAsk(), Requester.ORGANIZER)


# --------------------------------------------------------------- afterwards
def test_a_failed_refund_gives_its_amount_back_and_the_venue_its_fee_share_again():
    b = bought([("tty_a", 5000, 3)])
    first = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0],)))
    b = after(b, first)
    reopened = reopen(b.order, first.amounts)
    assert reopened.refunded_after.total == 0
    assert reopened.status_after is OrderStatus.PAID
    assert reopened.fee_returned == -first.fee_returned


def test_what_is_refunded_reads_from_the_order():
    b = bought([("tty_a", 5000, 1)])
    assert refunded_total(b.order) == 0
    assert refunded_components(b.order).as_list() == [0, 0, 0, 0, 0, 0]
    b = after(b, plan(b, RefundAsk(amount=700), Requester.ORGANIZER))
    assert refunded_total(b.order) == 700


def test_status_follows_the_amount_refunded():
    paid = Components(100, 10, 0, (7,))
    assert status_for(paid, Components(0, 0, 0, (0,))) is OrderStatus.PAID
    assert status_for(paid, Components(50, 0, 0, (0,))) is OrderStatus.PARTIALLY_REFUNDED
    assert status_for(paid, paid) is OrderStatus.REFUNDED


def test_stripe_gets_only_its_own_reasons_and_the_party_names_the_tax_lines():
    assert stripe_reason(RefundReason.FRAUDULENT) == "fraudulent"
    assert stripe_reason(RefundReason.EVENT_CANCELLED) is None
    party = order_party(bought([("tty_a", 5000, 1)]).order, "ven_1")
    assert party.tax_names == ("Tennessee Sales Tax", "Nashville Local Tax", "Entertainment Tax")


def test_refunded_seats_go_back_on_sale_with_what_they_were_sold_for():
    b = bought([("tty_a", 5000, 2), ("tty_b", 2000, 1)], voucher_bps=1000)
    refund = plan(b, RefundAsk(ticket_ids=(b.ticket_ids[0], b.ticket_ids[2])))
    assert {tty: r.units for tty, r in refund.restock.items()} == {"tty_a": 1, "tty_b": 1}
    shares = {s["ticket_type_id"]: s for s in b.order.shares}
    for tty, restock in refund.restock.items():
        assert restock.amounts.gross_cents == shares[tty]["price"]
        assert restock.amounts.discount_cents == shares[tty]["discount"]
        assert restock.amounts.fee_cents == shares[tty]["platform_fee"]


@pytest.mark.parametrize(
    ("reason", "now"),
    [(RefundReason.EVENT_CANCELLED, NOW), (RefundReason.REQUESTED_BY_CUSTOMER, STARTS_AT)],
    ids=["event-cancelled", "event-started"],
)
def test_no_seat_goes_back_on_sale_for_a_cancelled_or_started_event(reason, now):
    b = bought([("tty_a", 5000, 2)])
    refund = plan(b, RefundAsk(reason=reason), Requester.SYSTEM, now=now)
    assert refund.void_ticket_ids == tuple(b.ticket_ids)
    assert refund.restock == {}


# ------------------------------------------------------------------ used tickets
def admitted(b: Bought, *indexes: int) -> dict:
    """The order's tickets with those admitted once at a gate."""
    return {
        tid: replace(t, scans=1) if i in indexes else t
        for i, (tid, t) in enumerate(b.tickets.items())
    }


def test_a_buyer_may_not_refund_a_ticket_admitted_at_the_gate():
    b = bought([("tty_a", 5000, 3)])
    ask = RefundAsk(ticket_ids=(b.ticket_ids[0], b.ticket_ids[1], b.ticket_ids[2]))
    with pytest.raises(RefundNotAllowed) as refused:
        plan(b, ask, tickets=admitted(b, 0, 2))
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("ticket_ids[0]", "TICKET_USED"),
        ("ticket_ids[2]", "TICKET_USED"),
    ]


def test_a_buyer_refunding_everything_refunds_the_unused_tickets_only():
    b = bought([("tty_a", 5000, 2)])
    refund = plan(b, RefundAsk(), tickets=admitted(b, 0))
    assert refund.void_ticket_ids == (b.ticket_ids[1],)
    assert {tty: r.units for tty, r in refund.restock.items()} == {"tty_a": 1}


def test_a_buyer_whose_tickets_were_all_used_is_told_so():
    b = bought([("tty_a", 5000, 2)])
    with pytest.raises(RefundNotAllowed) as refused:
        plan(b, RefundAsk(), tickets=admitted(b, 0, 1))
    assert [(e.field, e.code) for e in refused.value.errors] == [("ticket_ids", "TICKET_USED")]


@pytest.mark.parametrize(
    "ask_for",
    [
        lambda b: RefundAsk(),
        lambda b: RefundAsk(amount=paid_components(b.order).total),
        lambda b: RefundAsk(ticket_ids=tuple(b.ticket_ids)),
    ],
    ids=["everything", "by-amount-to-the-full", "by-ticket"],
)
def test_an_organizer_refunds_a_used_ticket_but_its_seat_stays_off_sale(ask_for):
    b = bought([("tty_a", 5000, 2)])
    refund = plan(b, ask_for(b), Requester.ORGANIZER, tickets=admitted(b, 0))
    assert refund.void_ticket_ids == tuple(b.ticket_ids)
    # Only the unused ticket's seat, with what it was sold for.
    assert {tty: r.units for tty, r in refund.restock.items()} == {"tty_a": 1}
    assert refund.restock["tty_a"].amounts.gross_cents == b.order.shares[1]["price"]
