"""Property: over any sequence of amount and ticket refunds of one order, no cent goes
back twice. A ticket refund returns its share of each part less its pro-rata part of
what amount refunds took while it was held (within rounding), the last ticket gets
exactly what is left of price and tax, and no part is ever refunded beyond what was
paid for it, failed refunds included. A ticket whose refund failed is owed: refunding it
again returns its share, and its money goes back through one standing refund only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from admitone.domain.errors import DomainError
from admitone.domain.ledger import Components, zero_components
from admitone.domain.orders import OrderStatus
from admitone.domain.refunds import (
    RefundAsk,
    RefundPlan,
    Requester,
    paid_components,
    plan_refund,
    refunded_components,
    reopen,
    stored_parts,
    ticket_components,
)
from admitone.domain.tickets import TicketStatus
from tests.unit.domain.money_orders import PAID_AT, STARTS_AT, Bought, bought

NOW = PAID_AT + timedelta(days=1)
PRICE_AND_TAX = (0, 3, 4, 5)  # the parts of Components.as_list() a ticket refund returns


@dataclass
class Refund:
    amounts: Components
    ticket_ids: tuple[
        str, ...
    ]  # whose money it takes back: all that were left, when it ends the order
    asked: tuple[str, ...] | None  # the ticket asked for, in a ticket refund
    failed: bool = False


@dataclass
class OneOrder:
    made: Bought
    refunds: list[Refund] = field(default_factory=list)
    # What each ticket still held is owed, part by part, in exact fractions: its share,
    # less its pro-rata part (of what the held tickets are owed) of each amount refund.
    owed: dict[str, list[Fraction]] = field(default_factory=dict)
    ticket_refunds: int = 0

    @classmethod
    def of(cls, made: Bought) -> OneOrder:
        shares = dict(zip(made.ticket_ids, made.order.shares, strict=True))
        return cls(
            made,
            owed={
                tid: [Fraction(part) for part in ticket_components(shares[tid]).as_list()]
                for tid in made.ticket_ids
            },
        )

    def standing_ticket_ids(self) -> set[str]:
        return {tid for r in self.refunds if not r.failed for tid in r.ticket_ids}

    def share(self, ticket_id: str) -> Components:
        return ticket_components(self.made.order.shares[self.made.ticket_ids.index(ticket_id)])

    def ask(self, ask: RefundAsk, requester: Requester) -> RefundPlan | None:
        try:
            plan = plan_refund(
                self.made.order,
                ask,
                requester=requester,
                tickets=self.made.tickets,
                refunded_ticket_ids=self.standing_ticket_ids(),
                owed_ticket_ids={tid for r in self.refunds if r.failed for tid in r.ticket_ids}
                - self.standing_ticket_ids(),
                event_starts_at=STARTS_AT,
                now=NOW,
            )
        except DomainError:
            return None
        self.refunds.append(Refund(plan.amounts, plan.ticket_ids, asked=ask.ticket_ids))
        tickets = {
            tid: replace(t, status=TicketStatus.VOID) if tid in plan.void_ticket_ids else t
            for tid, t in self.made.tickets.items()
        }
        order = replace(
            self.made.order, status=plan.status_after, refunded=stored_parts(plan.refunded_after)
        )
        self.made = Bought(order, tickets)
        return plan

    def by_amount(self, percent: int) -> None:
        left = paid_components(self.made.order).minus(refunded_components(self.made.order))
        plan = self.ask(RefundAsk(amount=max(1, left.total * percent // 100)), Requester.ORGANIZER)
        if plan is None:
            return
        for index in PRICE_AND_TAX:
            owed_now = sum(owed[index] for owed in self.owed.values())
            for owed in self.owed.values():
                if owed_now:
                    owed[index] -= plan.amounts.as_list()[index] * owed[index] / owed_now
        if plan.status_after is OrderStatus.REFUNDED:
            self.owed.clear()  # everything went back, by amount

    def by_ticket(self, index: int, requester: Requester, *, failing_first: bool = False) -> None:
        ticket_id = self.made.ticket_ids[index % len(self.made.ticket_ids)]
        ask = RefundAsk(ticket_ids=(ticket_id,))
        plan = self.ask(ask, requester)
        if plan is not None and failing_first:
            self.fail(-1)  # the refund just asked
            # Owed now: asked again, it returns the same, and no seat is freed twice.
            first, plan = plan, self.ask(ask, requester)
            assert plan is not None
            assert (plan.amounts, plan.ticket_ids) == (first.amounts, first.ticket_ids)
            assert (plan.void_ticket_ids, plan.restock) == ((), {})
        if plan is None or ticket_id not in self.owed:
            return
        owed = self.owed.pop(ticket_id)
        # Each refund's rounding moves at most a cent of what is owed between tickets.
        slack = 1 + self.ticket_refunds
        self.ticket_refunds += 1
        for at, part in enumerate(plan.amounts.as_list()):
            assert abs(part - owed[at]) <= slack, (at, part, float(owed[at]))
        if plan.status_after is OrderStatus.REFUNDED:
            self.owed.clear()

    def fail(self, index: int) -> None:
        """A standing refund (by its place among them) fails."""
        standing = [r for r in self.refunds if not r.failed]
        if not standing:
            return
        refund = standing[index % len(standing)]
        refund.failed = True
        reopened = reopen(self.made.order, refund.amounts)
        order = replace(
            self.made.order,
            status=reopened.status_after,
            refunded=stored_parts(reopened.refunded_after),
        )
        self.made = Bought(order, self.made.tickets)  # its tickets stay void

    def check(self) -> None:
        paid = paid_components(self.made.order)
        refunded = refunded_components(self.made.order)
        standing = zero_components(len(paid.taxes))
        taken_back: list[str] = []
        for refund in self.refunds:
            if not refund.failed:
                standing = standing.plus(refund.amounts)
                taken_back += refund.ticket_ids
        assert standing == refunded
        assert len(taken_back) == len(set(taken_back))  # each ticket's money goes back once
        assert refunded.within(paid)  # no part goes back beyond what was paid for it
        for refund in self.refunds:
            if refund.asked:  # never more of a part than the ticket paid for it
                assert refund.amounts.within(self.share(refund.asked[0]))


orders = st.tuples(
    st.lists(st.integers(min_value=0, max_value=90_000), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
)
requesters = st.sampled_from([Requester.BUYER, Requester.ORGANIZER])
amount_and_ticket_refunds = st.lists(
    st.one_of(
        st.tuples(st.just("amount"), st.integers(1, 100)),
        st.tuples(st.just("ticket"), st.integers(0, 3), requesters),
        st.tuples(st.just("ticket_failing_first"), st.integers(0, 3), requesters),
    ),
    max_size=12,
)


def buy(prices: list[int], nft: bool, voucher: bool) -> OneOrder:
    discounted = voucher and any(prices)  # a voucher needs a priced ticket
    lines = [(f"tty_{n}", price, 1) for n, price in enumerate(prices)]
    return OneOrder.of(bought(lines, nft=nft, voucher_bps=1500 if discounted else None))


@settings(max_examples=400, deadline=None)
@given(orders, amount_and_ticket_refunds)
def test_a_ticket_refund_returns_its_share_less_its_part_of_amount_refunds(order, moves):
    one = buy(*order)
    for kind, *args in moves:
        if kind == "amount":
            one.by_amount(*args)
        else:
            one.by_ticket(*args, failing_first=kind == "ticket_failing_first")
        one.check()
    # Then every ticket still held, in turn, until a round gives nothing back: a ticket
    # whose share of what is left rounds to nothing is refused, and holds its place (and
    # the cents the others' rounding leaves it) for the next round.
    while one.owed:
        held = len(one.owed)
        for ticket_id in list(one.owed):
            one.by_ticket(one.made.ticket_ids.index(ticket_id), Requester.ORGANIZER)
        if len(one.owed) == held:
            break
    paid = paid_components(one.made.order)
    refunded = refunded_components(one.made.order)
    # No cent lost, none paid twice: price and tax went back exactly.
    assert (refunded.price, refunded.taxes) == (paid.price, paid.taxes)


@settings(max_examples=400, deadline=None)
@given(
    orders,
    st.lists(
        st.one_of(
            st.tuples(st.just("amount"), st.integers(1, 100)),
            st.tuples(st.just("ticket"), st.integers(0, 3), requesters),
            st.tuples(st.just("fail"), st.integers(0, 11)),
        ),
        max_size=16,
    ),
)
def test_with_failed_refunds_too_no_part_goes_back_beyond_what_was_paid(order, moves):
    one = buy(*order)
    one.owed.clear()  # what each ticket is owed is followed above, where none fails
    for kind, *args in moves:
        if kind == "amount":
            one.by_amount(*args)
        elif kind == "ticket":
            one.by_ticket(*args)
        else:
            one.fail(*args)
        one.check()
