"""Property: any sequence of purchases, refunds by ticket and by amount, failed and
confirmed refunds, disputes, settlement and payouts, run through the domain exactly as
the services run it, leaves every transaction balanced, every running balance equal to
the sum of its entries, and no order refunded beyond what was paid for any part."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from admitone.domain import ledger
from admitone.domain.disputes import venue_answers_for
from admitone.domain.errors import DomainError
from admitone.domain.ledger import Account, Components, DisputeOutcome, Transaction
from admitone.domain.payouts import Balance, check_payout, payout_fee
from admitone.domain.refunds import (
    RefundAsk,
    Requester,
    order_party,
    paid_components,
    plan_refund,
    refunded_components,
    reopen,
    stored_parts,
)
from admitone.domain.tickets import TicketStatus
from tests.unit.domain.money_orders import PAID_AT, STARTS_AT, Bought, bought

VENUE, EVENT, USD = "ven_1", "evt_1", "USD"
NOW = PAID_AT + timedelta(days=1)


@dataclass
class Refund:
    order_id: str
    id: str
    amounts: Components
    ticket_ids: tuple[str, ...]
    status: str = "pending"


@dataclass
class Books:
    """The table, as far as money goes: orders, refunds, entries and running balances."""

    orders: dict[str, Bought] = field(default_factory=dict)
    refunds: list[Refund] = field(default_factory=list)
    entries: list[Transaction] = field(default_factory=list)
    balances: dict[Account, int] = field(default_factory=dict)
    settled: bool = False
    settled_amount: int = 0
    paid_today: int = 0

    def book(self, transactions: list[Transaction]) -> None:
        """What book_ops writes: the transactions, and their deltas on the balances."""
        for txn in transactions:
            assert sum(entry.amount for entry in txn.entries) == 0
        self.entries += transactions
        for account, delta in ledger.net_deltas(transactions).items():
            self.balances[account] = self.balances.get(account, 0) + delta

    def shown(self, account: Account) -> int:
        return account.shown(self.balances.get(account, 0))

    def venue_account(self) -> Account:
        return ledger.available(VENUE, USD) if self.settled else ledger.pending(VENUE, EVENT, USD)

    # --------------------------------------------------------------- moves
    def buy(self, prices: list[int], nft: bool, voucher: bool) -> None:
        order_id = f"ord_{len(self.orders)}"
        lines = [(f"tty_{n}", price, 1) for n, price in enumerate(prices)]
        discounted = voucher and any(prices)  # a voucher needs a priced ticket
        made = bought(lines, nft=nft, voucher_bps=1500 if discounted else None, order_id=order_id)
        self.orders[order_id] = made
        self.book(ledger.sale(order_party(made.order, VENUE), paid_components(made.order)))

    def ticket_ids_of(self, order_id: str, *, failed: bool) -> set[str]:
        """The order's tickets whose money its failed (or standing) refunds took back."""
        return {
            ticket_id
            for r in self.refunds
            if r.order_id == order_id and (r.status == "failed") == failed
            for ticket_id in r.ticket_ids
        }

    def ask(self, order_id: str, ask: RefundAsk, requester: Requester) -> None:
        made = self.orders[order_id]
        try:
            plan = plan_refund(
                made.order,
                ask,
                requester=requester,
                tickets=made.tickets,
                refunded_ticket_ids=self.ticket_ids_of(order_id, failed=False),
                owed_ticket_ids=self.ticket_ids_of(order_id, failed=True)
                - self.ticket_ids_of(order_id, failed=False),
                event_starts_at=STARTS_AT,
                now=NOW,
            )
        except DomainError:
            return
        refund = Refund(order_id, f"rfd_{len(self.refunds)}", plan.amounts, plan.ticket_ids)
        self.refunds.append(refund)
        order = replace(
            made.order, status=plan.status_after, refunded=stored_parts(plan.refunded_after)
        )
        tickets = {
            tid: replace(t, status=TicketStatus.VOID) if tid in plan.void_ticket_ids else t
            for tid, t in made.tickets.items()
        }
        self.orders[order_id] = Bought(order, tickets)
        self.book(
            ledger.refund(
                order_party(order, VENUE),
                refund.id,
                plan.amounts,
                fee_returned=plan.fee_returned,
                venue_account=self.venue_account(),
            )
        )

    def confirm(self, refund: Refund) -> None:
        if refund.status == "pending":
            refund.status = "succeeded"
            order = self.orders[refund.order_id].order
            self.book(
                ledger.refund_paid(order_party(order, VENUE), refund.id, refund.amounts.total)
            )

    def fail(self, refund: Refund) -> None:
        if refund.status == "failed":
            return
        made = self.orders[refund.order_id]
        reopened = reopen(made.order, refund.amounts)
        party = order_party(made.order, VENUE)
        undone = ledger.refund(
            party,
            refund.id,
            refund.amounts,
            fee_returned=-reopened.fee_returned,
            venue_account=self.venue_account(),
            failed=True,
        )
        if refund.status == "succeeded":
            undone += ledger.refund_paid(party, refund.id, refund.amounts.total, failed=True)
        refund.status = "failed"
        order = replace(
            made.order, status=reopened.status_after, refunded=stored_parts(reopened.refunded_after)
        )
        self.orders[refund.order_id] = Bought(order, made.tickets)
        self.book(undone)

    def dispute(self, order_id: str, lost: bool) -> None:
        made = self.orders[order_id].order
        amount = made.totals.total
        frozen = venue_answers_for(made, amount)
        assert 0 <= frozen <= amount
        dispute_id = f"dp_{len(self.entries)}"
        for outcome in (DisputeOutcome.OPENED, DisputeOutcome.LOST if lost else DisputeOutcome.WON):
            self.book(
                ledger.dispute(
                    VENUE,
                    USD,
                    dispute_id=dispute_id,
                    order_id=order_id,
                    amount=frozen,
                    outcome=outcome,
                    taken=amount,
                )
            )

    def settle(self) -> None:
        if not self.settled:
            self.settled_amount = self.shown(ledger.pending(VENUE, EVENT, USD))
            self.book(ledger.settlement(VENUE, EVENT, USD, self.settled_amount))
            self.settled = True

    def payout(self, percent: int, instant: bool) -> None:
        balance = Balance(
            USD,
            0,
            self.shown(ledger.available(VENUE, USD)),
            self.shown(ledger.reserved(VENUE, USD)),
            settled_recently=self.settled_amount,
        )
        amount = balance.payable * percent // 100
        try:
            check_payout(amount, balance, paid_today=self.paid_today)
        except DomainError:
            return
        self.paid_today += amount
        self.book(
            ledger.payout(
                VENUE, USD, f"pyo_{len(self.entries)}", amount, payout_fee(amount, instant=instant)
            )
        )

    # ---------------------------------------------------------- invariants
    def check(self) -> None:
        from_entries: dict[Account, int] = {}
        for txn in self.entries:
            assert txn.total_debits == txn.total_credits
            for entry in txn.entries:
                from_entries[entry.account] = from_entries.get(entry.account, 0) + entry.amount
        assert {a: b for a, b in from_entries.items() if b} == {
            a: b for a, b in self.balances.items() if b
        }
        assert sum(self.balances.values()) == 0
        assert len({txn.id for txn in self.entries}) == len(self.entries)  # each fact once
        for made in self.orders.values():
            refunded = refunded_components(made.order)
            assert refunded.within(paid_components(made.order))
            live = sum(
                r.amounts.total
                for r in self.refunds
                if r.order_id == made.order.id and r.status != "failed"
            )
            assert live == refunded.total <= made.order.totals.total


prices = st.lists(st.integers(min_value=0, max_value=400_000), min_size=1, max_size=3)
moves = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), prices, st.booleans(), st.booleans()),
        st.tuples(st.just("ticket"), st.integers(0, 9), st.integers(0, 2)),
        st.tuples(st.just("amount"), st.integers(0, 9), st.integers(1, 120)),
        st.tuples(st.just("everything"), st.integers(0, 9)),
        st.tuples(st.just("confirm"), st.integers(0, 19)),
        st.tuples(st.just("fail"), st.integers(0, 19)),
        st.tuples(st.just("dispute"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("settle")),
        st.tuples(st.just("payout"), st.integers(1, 100), st.booleans()),
    ),
    max_size=40,
)


def play(books: Books, move: tuple) -> None:  # type: ignore[type-arg]
    kind, *args = move
    order_ids = list(books.orders)
    if kind == "buy":
        books.buy(*args)
    elif kind == "settle":
        books.settle()
    elif kind == "payout":
        books.payout(*args)
    elif kind in ("confirm", "fail") and books.refunds:
        refund = books.refunds[args[0] % len(books.refunds)]
        (books.confirm if kind == "confirm" else books.fail)(refund)
    elif kind in ("ticket", "amount", "everything", "dispute") and order_ids:
        order_id = order_ids[args[0] % len(order_ids)]
        made = books.orders[order_id]
        if kind == "ticket":
            ticket_id = made.ticket_ids[args[1] % len(made.ticket_ids)]
            books.ask(order_id, RefundAsk(ticket_ids=(ticket_id,)), Requester.BUYER)
        elif kind == "amount":
            amount = max(1, made.order.totals.total * args[1] // 100)
            books.ask(order_id, RefundAsk(amount=amount), Requester.ORGANIZER)
        elif kind == "everything":
            books.ask(order_id, RefundAsk(), Requester.SYSTEM)
        else:
            books.dispute(order_id, args[1])


@settings(max_examples=300, deadline=None)
@given(moves)
def test_any_sequence_of_money_moves_keeps_the_books_balanced(sequence):
    books = Books()
    for move in sequence:
        play(books, move)
        books.check()
