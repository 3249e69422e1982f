"""The ledger's bookings (RULES §2, §10): each movement a balanced transaction, money
where the rules put it, undoing exact."""

from __future__ import annotations

import pytest

from admitone.domain import ledger
from admitone.domain.ledger import (
    Account,
    AccountKind,
    Components,
    DisputeOutcome,
    Entry,
    OrderParty,
    TransactionKind,
    Unbalanced,
    net_deltas,
)
from admitone.domain.resale import Royalties, split_resale

PARTY = OrderParty("ord_1", "ven_1", "evt_1", "USD", ("Tennessee Sales Tax", "Franklin Local Tax"))
# RULES §2 worked example: 2 tickets, subtotal 10000, starter, NFT event, Franklin TN.
PAID = Components(price=10000, platform_fee=820, nft_fee=100, taxes=(700, 225))
PENDING = ledger.pending("ven_1", "evt_1", "USD")
AVAILABLE = ledger.available("ven_1", "USD")
RESERVED = ledger.reserved("ven_1", "USD")
REVENUE = ledger.revenue("USD")
CLEARING = ledger.clearing("USD")


def shown(deltas: dict[Account, int], account: Account) -> int:
    return account.shown(deltas.get(account, 0))


def test_a_sale_splits_the_buyers_money_over_venue_platform_and_tax():
    booked = ledger.sale(PARTY, PAID)
    assert [t.kind for t in booked] == [
        TransactionKind.SALE,
        TransactionKind.PLATFORM_FEE,
        TransactionKind.PROCESSING_COST,
    ]
    deltas = net_deltas(booked)
    assert PAID.total == 11845
    assert shown(deltas, PENDING) == 10000 - 820  # proceeds: price less the platform fee
    assert shown(deltas, REVENUE) == 820 + 100 + 820
    assert shown(deltas, ledger.tax_payable("Tennessee Sales Tax", "USD")) == 700
    assert shown(deltas, ledger.tax_payable("Franklin Local Tax", "USD")) == 225
    cost = 344 + 30  # 2.9 % of 11845 = 343.505, half up; plus 30 cents
    assert shown(deltas, ledger.processing_costs("USD")) == cost
    assert shown(deltas, CLEARING) == 11845 - cost
    assert booked[0].total_debits == booked[0].total_credits == 11845


def test_a_free_order_books_nothing():
    assert ledger.sale(PARTY, Components(0, 0, 0, (0, 0))) == []


def test_a_refund_and_its_failure_cancel_out_exactly():
    amounts = Components(5000, 0, 0, (350, 113))
    asked = ledger.refund(PARTY, "rfd_1", amounts, fee_returned=410, venue_account=PENDING)
    undone = ledger.refund(
        PARTY, "rfd_1", amounts, fee_returned=410, venue_account=PENDING, failed=True
    )
    deltas = net_deltas(asked)
    assert shown(deltas, PENDING) == -(5000 - 410)
    assert shown(deltas, ledger.refunds_payable("USD")) == amounts.total
    assert net_deltas(asked + undone) == {}
    assert {t.id for t in undone} == {"refund:rfd_1:failed", "platform_fee_returned:rfd_1:failed"}


def test_a_paid_refund_leaves_stripe_and_a_reversed_payment_comes_back():
    paid = ledger.refund_paid(PARTY, "rfd_1", 5463)
    assert shown(net_deltas(paid), CLEARING) == -5463
    back = ledger.refund_paid(PARTY, "rfd_1", 5463, failed=True)
    assert back[0].kind is TransactionKind.REFUND_PAYMENT_FAILED
    assert net_deltas(paid + back) == {}


def test_settlement_moves_an_events_proceeds_to_available():
    deltas = net_deltas(ledger.settlement("ven_1", "evt_1", "USD", 9180))
    assert (shown(deltas, PENDING), shown(deltas, AVAILABLE)) == (-9180, 9180)
    assert ledger.settlement("ven_1", "evt_1", "USD", 0) == []


@pytest.mark.parametrize(
    ("outcome", "available", "reserved", "clearing"),
    [
        (DisputeOutcome.OPENED, -700, 700, 0),
        (DisputeOutcome.WON, 700, -700, 0),
        (DisputeOutcome.LOST, 0, -700, -700),
    ],
)
def test_disputes_reserve_then_release_or_write_off(outcome, available, reserved, clearing):
    booked = ledger.dispute(
        "ven_1", "USD", dispute_id="dp_1", order_id="ord_1", amount=700, outcome=outcome
    )
    deltas = net_deltas(booked)
    assert (shown(deltas, AVAILABLE), shown(deltas, RESERVED), shown(deltas, CLEARING)) == (
        available,
        reserved,
        clearing,
    )


def test_a_lost_dispute_takes_from_the_venue_what_it_froze_and_the_rest_from_the_platform():
    booked = ledger.dispute(
        "ven_1",
        "USD",
        dispute_id="dp_1",
        order_id="ord_1",
        amount=700,
        outcome=DisputeOutcome.LOST,
        taken=1000,
    )
    deltas = net_deltas(booked)
    assert shown(deltas, RESERVED) == -700
    assert deltas[ledger.dispute_losses("USD")] == 300  # debit-normal: the platform's cost
    assert shown(deltas, CLEARING) == -1000


@pytest.mark.parametrize(("by", "available", "reserved"), [(300, -300, 300), (-300, 300, -300)])
def test_a_changed_dispute_amount_moves_only_the_difference(by, available, reserved):
    booked = ledger.dispute_changed(
        "ven_1", "USD", dispute_id="dp_1", order_id="ord_1", change=1, by=by
    )
    assert [t.id for t in booked] == ["dispute_changed:dp_1:1"]
    deltas = net_deltas(booked)
    assert (shown(deltas, AVAILABLE), shown(deltas, RESERVED)) == (available, reserved)


def test_a_payout_leaves_available_its_fee_to_the_platform():
    deltas = net_deltas(ledger.payout("ven_1", "USD", "pyo_1", 100_000, 1000))
    assert shown(deltas, AVAILABLE) == -100_000
    assert shown(deltas, CLEARING) == -99_000
    assert shown(deltas, REVENUE) == 1000
    assert [t.kind for t in ledger.payout("ven_1", "USD", "pyo_2", 100_000, 0)] == [
        TransactionKind.PAYOUT
    ]


@pytest.mark.parametrize("fee", [1000, 0])
def test_a_refused_payout_puts_back_exactly_what_it_took_fee_included(fee):
    taken = net_deltas(ledger.payout("ven_1", "USD", "pyo_1", 100_000, fee))
    returned = ledger.payout_returned("ven_1", "USD", "pyo_1", 100_000, fee)

    assert [t.id for t in returned] == ["payout_failed:pyo_1"] + (
        ["payout_fee_returned:pyo_1"] if fee else []
    )
    given_back = net_deltas(returned)
    for account in (AVAILABLE, CLEARING, REVENUE):
        assert shown(taken, account) + shown(given_back, account) == 0
    assert shown(given_back, AVAILABLE) == 100_000


def test_an_unbalanced_mixed_or_lonely_transaction_cannot_be_made():
    usd, eur = ledger.clearing("USD"), ledger.clearing("EUR")
    with pytest.raises(Unbalanced, match="sum to 1"):
        ledger.Transaction(
            "t", TransactionKind.SALE, "USD", (Entry(usd, 2, ""), Entry(REVENUE, -1, ""))
        )
    with pytest.raises(Unbalanced, match="every entry must be in USD"):
        ledger.Transaction(
            "t", TransactionKind.SALE, "USD", (Entry(usd, 1, ""), Entry(eur, -1, ""))
        )
    with pytest.raises(Unbalanced, match="two"):
        ledger.Transaction("t", TransactionKind.SALE, "USD", (Entry(usd, 0, ""),))


def test_accounts_read_positive_when_they_hold_or_are_owed_money():
    assert PENDING.id == "venue_pending:ven_1:evt_1:USD"
    assert (
        ledger.tax_payable("Nashville Local Tax", "USD").id == "tax_payable:nashville-local-tax:USD"
    )
    assert PENDING.shown(-500) == 500
    assert not PENDING.debit_normal
    assert CLEARING.shown(500) == 500
    assert CLEARING.debit_normal
    assert {
        AccountKind.VENUE_PENDING,
        AccountKind.VENUE_AVAILABLE,
        AccountKind.VENUE_RESERVED,
    } == set(ledger.VENUE_KINDS)


def test_the_venues_fee_share_is_proportional_and_exact_at_a_full_refund():
    assert ledger.venue_fee(price_paid=15000, platform_fee=1230, price_refunded=5000) == 410
    assert ledger.venue_fee(price_paid=15000, platform_fee=1230, price_refunded=15000) == 1230
    assert ledger.venue_fee(price_paid=0, platform_fee=0, price_refunded=0) == 0
    assert ledger.processing_cost(0) == 0


def test_components_add_subtract_and_compare_part_by_part():
    a, b = Components(5, 1, 0, (2,)), Components(3, 1, 0, (1,))
    assert a.minus(b).plus(b) == a
    assert b.within(a)
    assert not a.within(b)
    assert a.negated().total == -a.total
    assert ledger.zero_components(2) == Components(0, 0, 0, (0, 0))


def test_a_released_resale_books_the_rules_split_in_one_balanced_transaction():
    party = ledger.ResaleParty(
        escrow_id="esc_1",
        listing_id="lst_1",
        event_id="evt_1",
        venue_id="ven_1",
        seller_id="usr_s",
        currency="USD",
    )
    booked = {txn.id: txn for txn in ledger.resale(party, split_resale(15000, Royalties()))}

    split = booked["resale:esc_1"]
    assert {entry.account.id: entry.amount for entry in split.entries} == {
        "stripe_clearing:USD": 15000,
        "venue_pending:ven_1:evt_1:USD": -1500,
        "platform_revenue:USD": -750,
        "seller_pending:usr_s:evt_1:USD": -12750,
    }  # the artist's 0 % books no entry
    assert split.refs == {"escrow_id": "esc_1", "listing_id": "lst_1", "event_id": "evt_1"}
    cost = booked["processing_cost:esc_1"]
    assert cost.total_debits == ledger.processing_cost(15000)
    with_artist = ledger.resale(party, split_resale(15000, Royalties(artist_bps=500)))[0]
    assert {entry.account.id: entry.amount for entry in with_artist.entries}[
        "artist_royalties:USD"
    ] == -750
