"""POST /quotes prices a cart as RULES §2-3 say, from the catalog as it stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def on_sale(api: Api, aws: AwsStack, *, city: str, nft: bool) -> tuple[str, dict[str, str]]:
    """A published event at a venue in ``city`` (TN), with a GA and a hidden VIP type."""
    token = aws.access_token(new_id(Prefix.USER), "organizer")

    def post(path: str, body: dict) -> dict:
        response = api.post(path, body, token=token)
        assert response.status in (200, 201), response.body
        return response.json()

    venue = post(
        "/venues",
        {
            "name": "Hall",
            "timezone": "America/Chicago",
            "address": {
                "line1": "1 Main St",
                "city": city,
                "state": "TN",
                "postal_code": "37000",
                "country": "US",
            },
        },
    )
    event = post(
        "/events",
        {
            "venue_id": venue["id"],
            "title": "Show",
            "category": "music",
            "nft_enabled": nft,
            "starts_at": iso(NOW + timedelta(days=9)),
            "ends_at": iso(NOW + timedelta(days=9, hours=2)),
            "sales_start": iso(NOW - timedelta(days=1)),
            "sales_end": iso(NOW + timedelta(days=9)),
        },
    )
    ga = post(
        f"/events/{event['id']}/ticket-types", {"name": "GA", "price_cents": 5000, "capacity": 100}
    )
    vip = post(
        f"/events/{event['id']}/ticket-types",
        {"name": "VIP", "price_cents": 20000, "capacity": 10, "hidden": True},
    )
    post(f"/events/{event['id']}/vouchers", {"code": "TENOFF", "kind": "percent", "value": 1000})
    post(
        f"/events/{event['id']}/vouchers",
        {"code": "BACKSTAGE", "kind": "access", "ticket_type_ids": [vip["id"]]},
    )
    post(f"/events/{event['id']}/publish", {})
    return event["id"], {"ga": ga["id"], "vip": vip["id"]}


def test_the_rules_worked_example_two_tickets_franklin_tn_nft(api, aws):
    event_id, types = on_sale(api, aws, city="Franklin", nft=True)
    response = api.post(
        "/quotes", {"event_id": event_id, "items": [{"ticket_type_id": types["ga"], "quantity": 2}]}
    )
    assert response.status == 200, response.body
    quote = response.json()
    assert quote["subtotal_cents"] == 10000
    assert (quote["platform_fee_cents"], quote["platform_fee_bps"]) == (820, 820)
    assert quote["nft_fee_cents"] == 100
    assert [t["amount_cents"] for t in quote["taxes"]] == [700, 225]
    assert quote["total_cents"] == 11845
    assert quote["lines"] == [
        {"ticket_type_id": types["ga"], "unit_price_cents": 5000, "quantity": 2}
    ]


def test_a_voucher_discounts_before_fees_and_taxes(api, aws):
    event_id, types = on_sale(api, aws, city="Nashville", nft=False)
    quote = api.post(
        "/quotes",
        {
            "event_id": event_id,
            "voucher_code": "tenoff",
            "items": [{"ticket_type_id": types["ga"], "quantity": 2}],
        },
    ).json()
    assert (quote["discount_cents"], quote["voucher_code"]) == (1000, "TENOFF")
    assert quote["platform_fee_cents"] == 738  # 8.20 % of 9000
    assert sum(t["amount_cents"] for t in quote["taxes"]) == 630 + 203 + 90
    assert quote["total_cents"] == 9000 + 738 + 630 + 203 + 90


def test_hidden_types_need_their_access_code(api, aws):
    event_id, types = on_sale(api, aws, city="Memphis", nft=False)
    cart = {"event_id": event_id, "items": [{"ticket_type_id": types["vip"], "quantity": 1}]}
    hidden = api.post("/quotes", cart)
    assert hidden.status == 422
    unlocked = api.post("/quotes", {**cart, "voucher_code": "BACKSTAGE"})
    assert unlocked.json()["subtotal_cents"] == 20000


@pytest.mark.parametrize(
    ("items", "status", "code"),
    [
        ([{"ticket_type_id": "GA", "quantity": 5}], 422, "PURCHASE_LIMIT_EXCEEDED"),
        ([{"ticket_type_id": "GA", "quantity": 0}], 422, "VALIDATION_FAILED"),
        ([], 422, "VALIDATION_FAILED"),
    ],
)
def test_carts_over_the_limits_are_refused(api, aws, items, status, code):
    event_id, types = on_sale(api, aws, city="Knoxville", nft=False)
    for item in items:
        item["ticket_type_id"] = types["ga"]
    response = api.post("/quotes", {"event_id": event_id, "items": items})
    assert (response.status, response.json()["code"]) == (status, code)


def test_the_sample_quote_names_an_event_that_does_not_exist(aws):
    response = aws.invoke_sample("QuoteFunction", "ok")
    assert response["statusCode"] == 404


@pytest.mark.parametrize("nft", [False, True], ids=["fees", "fees-and-nft"])
def test_every_shown_price_comes_with_its_all_in_price(api, aws, nft):
    # FTC live-event fee rule: the price shown includes every mandatory fee; tax may
    # come on top. So the all-in price is what a quote of one such ticket charges
    # before tax, wherever a buyer sees the price: the event page and the search.
    event_id, types = on_sale(api, aws, city="Franklin", nft=nft)
    one = api.post(
        "/quotes", {"event_id": event_id, "items": [{"ticket_type_id": types["ga"], "quantity": 1}]}
    ).json()
    before_tax = one["total_cents"] - sum(tax["amount_cents"] for tax in one["taxes"])
    assert before_tax == 5000 + 410 + (50 if nft else 0)

    shown = api.get(f"/events/{event_id}").json()
    [ga] = shown["ticket_types"]  # VIP is hidden
    assert (ga["price_cents"], ga["all_in_price_cents"]) == (5000, before_tax)
    assert (shown["min_all_in_price_cents"], shown["max_all_in_price_cents"]) == (
        before_tax,
        before_tax,
    )
    listed = api.get("/events?city=Franklin").json()["events"]
    [summary] = [event for event in listed if event["id"] == event_id]
    assert (summary["min_all_in_price_cents"], summary["max_all_in_price_cents"]) == (
        before_tax,
        before_tax,
    )
