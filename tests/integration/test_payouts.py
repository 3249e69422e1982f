"""Payouts that move money, on moto and the local Stripe (issue 19): a resale seller links
a payout account (a connected account made for them), pays their payable proceeds out
(POST /me/payouts, recorded with a payout.requested outbox item), and the transfer job
makes one Stripe transfer to it however often it runs; a venue's payout takes the same
path and becomes paid; a transfer Stripe refuses fails the payout with the money back;
concurrent payouts never pass the payable balance (real threads); scripts/ledger-check
finds 0 differences throughout."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import uuid
from typing import Any

import pytest

from admitone.adapters.dynamo import keys, table
from admitone.adapters.stripe_api import stripe_client
from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.payouts import Payee, PayeeKind, PayoutExceedsPayable
from admitone.services.payout_requests import request_seller_payout
from admitone.services.wiring import ports
from scripts.ledger_check import run as ledger_check
from tests.conftest import sample_event
from tests.integration.conftest import Api, ApiResponse, AwsStack
from tests.integration.gate_kit import Holder, buy
from tests.integration.money_kit import balance, venue_of
from tests.integration.shop import Shop, open_shop
from tests.integration.test_resale_purchase import FACE
from tests.integration.test_seller_proceeds import released_resale, settle
from tests.integration.test_venue_money import PRICE


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def link(
    shop: Shop, token: str, body: dict[str, str], path: str = "/me/payout-account"
) -> ApiResponse:
    return shop.api.request("PUT", path, json_body=body, token=token)


def pay_out(shop: Shop, token: str, amount: int, key: str | None = None) -> ApiResponse:
    return shop.api.post(
        "/me/payouts",
        {"amount_cents": amount},
        token=token,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def requested(payout_id: str) -> dict[str, Any]:
    """The payout.requested outbox item the payout was recorded with."""
    (item,) = [
        item
        for item in table.all_of_sharded("GSI3", keys.outbox_pending_lists())
        if item["event_type"] == "payout.requested"
        and item["detail"]["data"]["payout_id"] == payout_id
    ]
    return dict(item["detail"]["data"])


def transfer(aws: AwsStack, data: dict[str, Any]) -> dict[str, Any]:
    """The transfer job's message about the payout (the sample event's, re-aimed)."""
    event = sample_event("payments.transfer_payouts", "unknown_payout")
    body = json.loads(event["Records"][0]["body"])
    body["detail"]["data"] = data
    event["Records"][0]["body"] = json.dumps(body)
    return aws.invoke("TransferPayoutsFunction", event)


def settled_seller(shop: Shop) -> Holder:
    seller = released_resale(shop)
    settle(shop)
    return seller


def test_a_seller_pays_payable_proceeds_to_their_connected_account_once(aws: AwsStack, shop: Shop):
    seller = settled_seller(shop)
    missing = pay_out(shop, seller.token, 10_000)
    assert missing.status == 409, missing.body
    assert missing.json()["code"] == "PAYOUT_ACCOUNT_MISSING"
    linked = link(shop, seller.token, {"country": "US"})
    assert linked.status == 200, linked.body
    account_id = linked.json()["account_id"]
    assert stripe_client().v1.accounts.retrieve(account_id).capabilities.transfers == "active"

    key = str(uuid.uuid4())
    paid = pay_out(shop, seller.token, 12_750, key)
    assert paid.status == 201, paid.body
    payout = paid.json()
    assert (payout["status"], payout["amount_cents"], payout["transfer_id"]) == (
        "in_transit",
        12_750,
        None,
    )
    assert pay_out(shop, seller.token, 12_750, key).json() == payout  # replayed
    assert (
        shop.api.get("/me/proceeds", token=seller.token).json()["proceeds"][0]["payable_cents"] == 0
    )
    data = requested(payout["payout_id"])

    for _ in range(2):  # delivered twice: one transfer
        assert transfer(aws, data) == {"batchItemFailures": []}

    transfers = stripe_client().v1.transfers.list(params={"destination": account_id}).data
    assert [(t.amount, t.currency, t.metadata["payout_id"]) for t in transfers] == [
        (12_750, "usd", payout["payout_id"])
    ]
    stored = ports().store.payouts.get(_payee(seller), payout["payout_id"])
    assert stored is not None
    assert (stored.status.value, stored.transfer_id) == ("paid", transfers[0].id)
    (listed,) = shop.api.get("/me/payouts", token=seller.token).json()["payouts"]
    assert (listed["payout_id"], listed["status"], listed["transfer_id"]) == (
        payout["payout_id"],
        "paid",
        transfers[0].id,
    )
    assert ledger_check().differences == []


def _payee(seller: Holder) -> Payee:
    return Payee(PayeeKind.SELLER, seller.user_id)


def test_a_transfer_stripe_refuses_fails_the_payout_and_returns_the_money(
    aws: AwsStack, shop: Shop
):
    seller = settled_seller(shop)
    aws.use_function("PutPayoutAccountFunction")
    incapable = stripe_client().v1.accounts.create(params={"type": "custom", "country": "US"})
    linked = link(shop, seller.token, {"account_id": incapable.id})
    assert linked.status == 200, linked.body
    unknown = link(shop, seller.token, {"account_id": "acct_NoSuchAccount"})
    assert unknown.status == 422, unknown.body
    assert unknown.json()["code"] == "PAYOUT_ACCOUNT_UNKNOWN"

    payout = pay_out(shop, seller.token, 12_750).json()
    assert transfer(aws, requested(payout["payout_id"])) == {"batchItemFailures": []}

    stored = ports().store.payouts.get(_payee(seller), payout["payout_id"])
    assert stored is not None
    assert stored.status.value == "failed"
    assert "insufficient_capabilities_for_transfer" in (stored.failure or "")
    (listed,) = shop.api.get("/me/payouts", token=seller.token).json()["payouts"]
    assert (listed["status"], listed["transfer_id"]) == ("failed", None)
    proceeds = shop.api.get("/me/proceeds", token=seller.token).json()["proceeds"][0]
    assert proceeds["payable_cents"] == 12_750
    assert ledger_check().differences == []


def test_concurrent_seller_payouts_never_pass_the_payable_balance(aws: AwsStack, shop: Shop):
    seller = settled_seller(shop)
    assert link(shop, seller.token, {"country": "US"}).status == 200
    caller = Principal(user_id=seller.user_id, roles=frozenset(), email="s@example.com")
    start = threading.Barrier(5)

    def one(_: int) -> str:
        start.wait()
        aws.use_function("RequestSellerPayoutFunction")
        try:
            request_seller_payout(ports(), caller, amount=10_000)
        except PayoutExceedsPayable:
            return "over payable"
        return "recorded"

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(one, range(5)))

    assert sorted(outcomes) == ["over payable"] * 4 + ["recorded"]
    account = ledger.seller_payable(seller.user_id, "USD")
    assert account.shown(ports().store.ledger.balance(account)) == 2_750
    assert ledger_check().differences == []


def test_a_venue_payout_takes_the_same_transfer_path_and_becomes_paid(api: Api, aws: AwsStack):
    venue_shop = open_shop(api, aws, types={"ga": {"price_cents": PRICE, "capacity": 10}})
    venue = venue_of(venue_shop)
    linked = link(
        venue_shop, venue_shop.organizer_token, {"country": "US"}, f"/venues/{venue}/payout-account"
    )
    assert linked.status == 200, linked.body
    buy(venue_shop, 1)
    settle(venue_shop)
    response = venue_shop.api.post(
        f"/venues/{venue}/payouts",
        {"amount_cents": 1_000_000, "instant": True},
        token=venue_shop.organizer_token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status == 201, response.body
    payout = response.json()
    assert payout["status"] == "in_transit"

    assert transfer(aws, requested(payout["payout_id"])) == {"batchItemFailures": []}

    listed = venue_shop.api.get(f"/venues/{venue}/payouts", token=venue_shop.organizer_token)
    (shown,) = listed.json()["payouts"]
    assert (shown["status"], shown["net_cents"]) == ("paid", 990_000)
    made = stripe_client().v1.transfers.retrieve(shown["transfer_id"])
    assert (made.amount, made.destination) == (990_000, linked.json()["account_id"])
    assert balance(venue_shop)["available_cents"] >= 0
    assert ledger_check().differences == []


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("RequestSellerPayoutFunction", "no_account", 409),
        ("PutPayoutAccountFunction", "unknown_account", 422),
        ("PutVenuePayoutAccountFunction", "unknown", 404),
        ("ListMyPayoutsFunction", "ok", 200),
    ],
)
def test_sample_events(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]
    if status >= 400:
        assert response["headers"]["Content-Type"] == "application/problem+json"


def test_the_transfer_sample_event_leaves_an_unknown_payout_alone(aws: AwsStack):
    assert aws.invoke_sample("TransferPayoutsFunction", "unknown_payout") == {
        "batchItemFailures": []
    }
