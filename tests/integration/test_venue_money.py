"""A venue's money (RULES §10): proceeds pending until 48 h after the event, then
available; disputes freeze their amount; payouts within the minimum, the payable
balance and the daily limit, even when requested concurrently."""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from datetime import timedelta

import pytest

from admitone.adapters.dynamo import catalog, keys, table
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.domain.money import percent_of
from admitone.domain.payouts import PayoutDailyLimit, PayoutExceedsPayable
from admitone.services import venue_money
from scripts.ledger_check import run as ledger_check
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.money_kit import (
    ask_refund,
    assert_ledger_balances,
    balance,
    dispute_object,
    ledger_page,
    order,
    stripe_webhook,
    venue_of,
)
from tests.integration.shop import Shop, iso, open_shop

PRICE = 2_000_000  # $20,000 a ticket: enough to meet the daily payout limit
STARTER_FEE_BPS = 820


def proceeds(tickets: int) -> int:
    """A starter venue's proceeds: the price less the platform fee (RULES §10)."""
    gross = tickets * PRICE
    return gross - percent_of(gross, STARTER_FEE_BPS)


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    opened = open_shop(api, aws, types={"ga": {"price_cents": PRICE, "capacity": 50}})
    # Payouts are transfers to the venue's connected account: it needs one first.
    linked = opened.api.request(
        "PUT",
        f"/venues/{venue_of(opened)}/payout-account",
        json_body={"country": "US"},
        token=opened.organizer_token,
    )
    assert linked.status == 200, linked.body
    return opened


def settle(aws: AwsStack, shop: Shop, *, hours_after_end: float) -> int:
    aws.use_function("SettlementCronFunction")
    event = catalog.get_event(shop.event_id)
    assert event is not None
    return venue_money.settle_due(event.ends_at + timedelta(hours=hours_after_end))


def another_event(shop: Shop, *, currency: str) -> Shop:
    """A second event of the shop's venue, selling in ``currency``, ending when the
    shop's does."""
    event = catalog.get_event(shop.event_id)
    assert event is not None

    def post(path: str, body: dict[str, object]) -> dict[str, str]:
        response = shop.api.post(path, body, token=shop.organizer_token)
        assert response.status in (200, 201), response.body
        return dict(response.json())

    created = post(
        "/events",
        {
            "venue_id": event.venue_id,
            "title": "Show in " + currency,
            "category": "music",
            "currency": currency,
            "starts_at": iso(event.starts_at),
            "ends_at": iso(event.ends_at),
            "sales_start": iso(event.starts_at - timedelta(days=10)),
            "sales_end": iso(event.starts_at),
        },
    )
    ticket_type = post(
        f"/events/{created['id']}/ticket-types",
        {"name": "GA", "price_cents": PRICE, "capacity": 50, "currency": currency},
    )
    post(f"/events/{created['id']}/publish", {})
    return Shop(shop.api, shop.aws, created["id"], {"ga": ticket_type["id"]}, shop.organizer_token)


def payout(
    shop: Shop,
    amount: int,
    *,
    instant: bool = False,
    key: str | None = None,
    currency: str = "USD",
):
    return shop.api.post(
        f"/venues/{venue_of(shop)}/payouts",
        {"amount_cents": amount, "instant": instant, "currency": currency},
        token=shop.organizer_token,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def test_proceeds_stay_pending_until_48_hours_after_the_event_then_become_available(aws, shop):
    buy(shop, 2)
    assert balance(shop) | {"risk_level": None} == {
        "currency": "USD",
        "pending_cents": proceeds(2),
        "available_cents": 0,
        "reserved_cents": 0,
        "required_reserve_cents": 0,
        "payable_cents": 0,
        "risk_level": None,
    }
    assert settle(aws, shop, hours_after_end=47.9) == 0
    assert settle(aws, shop, hours_after_end=48.1) == 1
    assert settle(aws, shop, hours_after_end=49) == 0  # once

    after = balance(shop)
    assert (after["pending_cents"], after["available_cents"]) == (0, proceeds(2))
    assert after["required_reserve_cents"] == percent_of(proceeds(2), 1000)  # medium risk
    assert after["payable_cents"] == proceeds(2) - after["required_reserve_cents"]
    assert [t["kind"] for t in ledger_page(shop)].count("settlement") == 1
    assert_ledger_balances()


def test_a_refund_after_settlement_comes_out_of_the_available_balance(aws, shop):
    holder = buy(shop, 2)
    settle(aws, shop, hours_after_end=49)
    response = ask_refund(shop.api, holder.order_id, shop.organizer_token, {"amount_cents": 1000})
    assert response.status == 201, response.body
    after = balance(shop)
    assert after["pending_cents"] == 0
    assert after["available_cents"] < proceeds(2)
    assert_ledger_balances()


def test_payouts_keep_to_the_minimum_the_payable_balance_and_the_daily_limit(aws, shop):
    buy(shop, 4)
    settle(aws, shop, hours_after_end=49)
    payable = balance(shop)["payable_cents"]
    assert payable > 5_000_000

    too_small = payout(shop, 9_999)
    assert too_small.status == 422
    assert too_small.json()["code"] == "PAYOUT_BELOW_MINIMUM"
    too_big = payout(shop, payable + 1)
    assert too_big.json()["code"] == "PAYOUT_EXCEEDS_PAYABLE"

    first = payout(shop, 4_000_000, instant=True, key="first-payout")
    assert first.status == 201, first.body
    assert first.json() | {"payout_id": None, "created_at": None, "arrives_by": None} == {
        "payout_id": None,
        "venue_id": venue_of(shop),
        "status": "in_transit",
        "amount_cents": 4_000_000,
        "fee_cents": 40_000,  # instant: 1 %
        "net_cents": 3_960_000,
        "currency": "USD",
        "instant": True,
        "created_at": None,
        "arrives_by": None,
        "transfer_id": None,  # until TransferPayoutsFunction made the Stripe transfer
    }
    assert (
        payout(shop, 4_000_000, instant=True, key="first-payout").json() == first.json()
    )  # replayed
    over_the_day = payout(shop, 1_000_001)
    assert over_the_day.status == 422
    assert over_the_day.json()["code"] == "PAYOUT_DAILY_LIMIT"
    assert payout(shop, 1_000_000).status == 201

    listed = shop.api.get(f"/venues/{venue_of(shop)}/payouts", token=shop.organizer_token).json()
    assert [p["amount_cents"] for p in listed["payouts"]] == [1_000_000, 4_000_000]
    assert balance(shop)["available_cents"] == proceeds(4) - 5_000_000
    assert_ledger_balances()


def test_the_daily_payout_limit_counts_each_currency_on_its_own(aws, shop):
    euros = another_event(shop, currency="EUR")
    buy(shop, 4)
    buy(euros, 1)
    settle(aws, shop, hours_after_end=49)
    assert settle(aws, euros, hours_after_end=49) == 0  # one cron run settled both
    euro_balance = venue_money.balance_of(venue_of(shop), "EUR")
    assert euro_balance.available == proceeds(1)

    assert payout(shop, 5_000_000).status == 201  # the whole USD day
    assert payout(shop, 10_000).json()["code"] == "PAYOUT_DAILY_LIMIT"
    in_euros = payout(shop, 1_000_000, currency="EUR")

    assert in_euros.status == 201, in_euros.body
    assert in_euros.json()["currency"] == "EUR"
    usd = venue_money.balance_of(venue_of(shop), "USD")
    eur = venue_money.balance_of(venue_of(shop), "EUR")
    assert (usd.available, eur.available) == (proceeds(4) - 5_000_000, proceeds(1) - 1_000_000)
    assert_ledger_balances()


def test_paying_out_all_that_is_payable_keeps_the_whole_reserve_back(aws, shop):
    buy(shop, 1)
    settle(aws, shop, hours_after_end=49)
    reserve = percent_of(proceeds(1), 1000)  # medium: 10 % of the proceeds settled
    first = balance(shop)
    assert (first["required_reserve_cents"], first["payable_cents"]) == (
        reserve,
        proceeds(1) - reserve,
    )

    assert payout(shop, first["payable_cents"]).status == 201

    after = balance(shop)
    assert after["available_cents"] == reserve
    assert (after["required_reserve_cents"], after["payable_cents"]) == (reserve, 0)
    refused = payout(shop, 10_000)
    assert (refused.status, refused.json()["code"]) == (422, "PAYOUT_EXCEEDS_PAYABLE")
    assert balance(shop)["available_cents"] == reserve
    assert_ledger_balances()


@pytest.mark.race
def test_ten_concurrent_payouts_never_pass_the_payable_balance_or_the_daily_limit(aws, shop):
    buy(shop, 4)
    settle(aws, shop, hours_after_end=49)
    payable = balance(shop)["payable_cents"]
    owner = Principal(
        user_id=new_id(Prefix.USER), roles=frozenset({Role.ADMIN}), email="a@example.com"
    )
    start = threading.Barrier(10)
    amount = 1_500_000  # $15,000: the daily limit allows three, the balance four

    def pay_out(_: int) -> str:
        start.wait()
        aws.use_function("RequestPayoutFunction")
        try:
            venue_money.request_payout(venue_of(shop), owner, amount=amount, instant=False)
        except PayoutDailyLimit:
            return "daily limit"
        except PayoutExceedsPayable:
            return "over payable"
        return "paid"

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(pay_out, range(10)))

    assert payable >= 4 * amount
    assert outcomes.count("paid") == 3
    assert outcomes.count("daily limit") == 7
    assert balance(shop)["available_cents"] == proceeds(4) - 3 * amount
    assert_ledger_balances()


def test_a_dispute_freezes_its_amount_until_closed_and_a_lost_one_is_written_off(aws, shop):
    won, lost = buy(shop, 1), buy(shop, 1)
    settle(aws, shop, hours_after_end=49)
    amount = order(won.order_id).totals.total
    before = balance(shop)

    stripe_webhook(aws, "charge.dispute.created", dispute_object(won.order_id, amount))
    stripe_webhook(aws, "charge.dispute.created", dispute_object(won.order_id, amount))  # again
    frozen = balance(shop)
    # The whole charge is disputed; the venue answers for its net of it (domain/disputes.py).
    assert (frozen["available_cents"], frozen["reserved_cents"]) == (
        before["available_cents"] - proceeds(1),
        proceeds(1),
    )
    assert frozen["payable_cents"] < before["payable_cents"]
    seen = shop.api.get(f"/orders/{won.order_id}", token=won.token).json()
    assert seen["disputed"] is True

    stripe_webhook(aws, "charge.dispute.closed", dispute_object(won.order_id, amount, status="won"))
    assert balance(shop) == before
    assert shop.api.get(f"/orders/{won.order_id}", token=won.token).json()["disputed"] is False

    lost_amount = order(lost.order_id).totals.total
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(lost.order_id, lost_amount, status="lost")
    )
    after = balance(shop)
    assert (after["available_cents"], after["reserved_cents"]) == (
        before["available_cents"] - proceeds(1),
        0,
    )
    kinds = [t["kind"] for t in ledger_page(shop)]
    assert sorted(k for k in kinds if k.startswith("dispute")) == [
        "dispute_lost",
        "dispute_opened",
        "dispute_opened",
        "dispute_won",
    ]
    assert_ledger_balances()


def test_a_dispute_closed_at_another_amount_leaves_nothing_frozen(aws, shop):
    won, lost, changed = buy(shop, 1), buy(shop, 1), buy(shop, 1)
    settle(aws, shop, hours_after_end=49)
    before = balance(shop)

    stripe_webhook(aws, "charge.dispute.created", dispute_object(won.order_id, 1_000_000))
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(won.order_id, 600_000, status="won")
    )
    assert balance(shop) == before  # all it froze came back

    stripe_webhook(aws, "charge.dispute.created", dispute_object(lost.order_id, 1_000_000))
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(lost.order_id, 600_000, status="lost")
    )
    after_lost = balance(shop)
    assert (after_lost["available_cents"], after_lost["reserved_cents"]) == (
        before["available_cents"] - 600_000,
        0,
    )

    stripe_webhook(aws, "charge.dispute.created", dispute_object(changed.order_id, 1_000_000))
    stripe_webhook(aws, "charge.dispute.updated", dispute_object(changed.order_id, 400_000))
    frozen = balance(shop)
    assert (frozen["available_cents"], frozen["reserved_cents"]) == (
        after_lost["available_cents"] - 400_000,
        400_000,
    )
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(changed.order_id, 400_000, status="won")
    )
    assert balance(shop) == after_lost

    changes = [t for t in ledger_page(shop) if t["kind"] == "dispute_changed"]
    assert len(changes) == 2  # each change of amount booked on its own
    assert_ledger_balances()


def test_a_dispute_after_a_full_refund_takes_nothing_more_from_the_venue(aws, shop):
    refunded, kept = buy(shop, 1), buy(shop, 1)
    settle(aws, shop, hours_after_end=49)
    response = ask_refund(shop.api, refunded.order_id, shop.organizer_token)
    assert response.status == 201, response.body
    before = balance(shop)
    assert before["available_cents"] == proceeds(1)  # what the kept order left the venue
    total = order(refunded.order_id).totals.total

    stripe_webhook(aws, "charge.dispute.created", dispute_object(refunded.order_id, total))
    frozen = balance(shop)
    assert (frozen["available_cents"], frozen["reserved_cents"]) == (proceeds(1), 0)
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(refunded.order_id, total, status="lost")
    )

    assert balance(shop) == before  # the platform bears the whole chargeback
    assert order(kept.order_id).status.value == "paid"
    assert_ledger_balances()


def test_a_lost_dispute_takes_at_most_the_venues_net_of_the_charge(aws, shop):
    partly, whole = buy(shop, 2), buy(shop, 1)
    settle(aws, shop, hours_after_end=49)
    ticket = partly.tickets[0]["id"]
    response = ask_refund(shop.api, partly.order_id, shop.organizer_token, {"ticket_ids": [ticket]})
    assert response.status == 201, response.body
    before = balance(shop)

    # The whole charge disputed: the venue answers for its net of the one ticket left
    # (the price less the platform fee), never the fees and tax it never had.
    partly_total = order(partly.order_id).totals.total
    stripe_webhook(aws, "charge.dispute.created", dispute_object(partly.order_id, partly_total))
    assert balance(shop)["reserved_cents"] == proceeds(1)
    stripe_webhook(
        aws,
        "charge.dispute.closed",
        dispute_object(partly.order_id, partly_total, status="lost"),
    )
    after = balance(shop)
    assert (after["available_cents"], after["reserved_cents"]) == (
        before["available_cents"] - proceeds(1),
        0,
    )

    # A dispute for less than the venue's net takes just that.
    stripe_webhook(aws, "charge.dispute.created", dispute_object(whole.order_id, 500_000))
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(whole.order_id, 500_000, status="lost")
    )
    assert balance(shop)["available_cents"] == after["available_cents"] - 500_000
    assert_ledger_balances()


def test_only_the_owner_sees_a_venues_money(shop):
    _, stranger = shop.buyer()
    venue_id = venue_of(shop)
    for path in ("balance", "ledger", "payouts"):
        assert shop.api.get(f"/venues/{venue_id}/{path}", token=stranger).status == 404
    refused = shop.api.post(
        f"/venues/{venue_id}/payouts",
        {"amount_cents": 10_000},
        token=stranger,
        headers={"Idempotency-Key": "stranger-payout"},
    )
    assert refused.status == 404


def test_the_ledger_pages_newest_first_with_a_cursor(aws, shop):
    buy(shop, 1)
    buy(shop, 1)
    first = shop.api.get(
        f"/venues/{venue_of(shop)}/ledger?limit=2", token=shop.organizer_token
    ).json()
    assert len(first["transactions"]) == 2
    rest = shop.api.get(
        f"/venues/{venue_of(shop)}/ledger?limit=50&cursor={first['next_cursor']}",
        token=shop.organizer_token,
    ).json()
    everything = first["transactions"] + rest["transactions"]
    assert len({t["transaction_id"] for t in everything}) == len(everything) == 4
    booked = [t["booked_at"] for t in everything]
    assert booked == sorted(booked, reverse=True)
    for txn in everything:
        assert sum(entry["amount_cents"] for entry in txn["entries"]) == 0


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("VenueBalanceFunction", "unknown", 404),
        ("VenueLedgerFunction", "unknown", 404),
        ("RequestPayoutFunction", "unknown", 404),
        ("ListPayoutsFunction", "unknown", 404),
    ],
)
def test_each_venue_money_sample_event_gets_its_documented_answer(
    aws, function_id, scenario, status
):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response.get("body")


def test_the_settlement_sample_event_settles_nothing_not_yet_due(aws, shop):
    buy(shop, 1)
    assert aws.invoke_sample("SettlementCronFunction", "every_15_minutes") == {"events_settled": 0}


def test_the_ledger_check_reports_a_balance_or_a_transaction_that_does_not_add_up(aws, shop):
    buy(shop, 1)
    assert_ledger_balances()
    pending = ledger.pending(venue_of(shop), shop.event_id, "USD")
    shard = ledger_store.shards_of(pending)[0].shard
    table.update(keys.account_balance(pending.id, shard), "ADD balance :one", values={":one": 1})
    table.put(
        {
            **keys.ledger_transaction("forged"),
            "entity": ledger_store.TXN_ENTITY,
            "txn_id": "forged",
            "currency": "USD",
            "entries": [{"account": "platform_revenue:EUR", "amount": 5, "memo": ""}],
        }
    )

    report = ledger_check()

    assert sorted(report.differences) == sorted(
        [
            f"account {pending.id}: balance {-proceeds(1) + 1}, entries sum to {-proceeds(1)} (+1)",
            "account platform_revenue:EUR: balance 0, entries sum to 5 (-5)",
            "transaction forged: 1 entry, needs two",
            "transaction forged: currencies ['EUR']",
            "transaction forged: entries sum to 5, not 0",
        ]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "amount_cents"),
        ({"amount_cents": -5}, "amount_cents"),
        ({"amount_cents": 20_000, "instant": "soon"}, "instant"),
    ],
    ids=["no-amount", "negative", "instant-not-a-boolean"],
)
def test_bad_payout_input_is_a_problem_naming_the_field(shop, body, field):
    response = shop.api.post(
        f"/venues/{venue_of(shop)}/payouts",
        body,
        token=shop.organizer_token,
        headers={"Idempotency-Key": f"bad-{uuid.uuid4()}"},
    )
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    assert any(error["field"].endswith(field) for error in response.json()["errors"])


def test_an_unsupported_currency_balance_is_refused(shop):
    response = shop.api.get(
        f"/venues/{venue_of(shop)}/balance?currency=XYZ", token=shop.organizer_token
    )
    assert response.status == 422
    assert response.json()["code"] == "CURRENCY_UNSUPPORTED"
