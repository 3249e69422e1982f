"""1099-DA data through the template's API (issue 19): a resale released on the local
Stripe records the seller's sale; a seller over $600 of gross proceeds in the year sees
it in GET /me/tax-forms/{year} with their TIN masked, and the admin's list of the year
names them; below the threshold the same figures show with ``required: false``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Holder
from tests.integration.shop import Shop, open_shop
from tests.integration.test_seller_proceeds import released_resale

FACE = 50000
TIN = "123-45-6789"


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def _sold(shop: Shop, price: int) -> tuple[Holder, datetime]:
    """A ticket of the shop listed at ``price``, bought, paid and released: (its seller,
    when it was released)."""
    released_at = datetime.now(UTC) + timedelta(minutes=11)
    return released_resale(shop, price, at=released_at), released_at


def _profile(api: Api, token: str) -> None:
    saved = api.request(
        "PUT",
        "/me/tax-profile",
        token=token,
        json_body={
            "legal_name": "Ada Lovelace",
            "tin_kind": "ssn",
            "tin": TIN,
            "address": {
                "line1": "1 Music Row",
                "city": "Nashville",
                "state": "TN",
                "postal_code": "37203",
            },
        },
    )
    assert saved.status == 200, saved.body


def _no_tin(body: bytes) -> None:
    assert TIN.encode() not in body
    assert TIN.replace("-", "").encode() not in body


def test_a_seller_over_the_threshold_sees_the_sale_with_the_tin_masked(api: Api, shop: Shop):
    seller, released_at = _sold(shop, price=75000)  # 150 % of face: 63750 to the seller
    _profile(api, seller.token)
    year = released_at.year

    form = api.get(f"/me/tax-forms/{year}", token=seller.token)

    assert form.status == 200, form.body
    _no_tin(form.body)
    shown: dict[str, Any] = form.json()
    assert (shown["required"], shown["threshold_cents"], shown["year"]) == (True, 60000, year)
    assert shown["payee"]["tin_masked"] == "***-**-6789"
    assert shown["payee"]["legal_name"] == "Ada Lovelace"
    (sale,) = shown["sales"]
    assert (
        sale["sale_price_cents"],
        sale["transaction_costs_cents"],
        sale["gross_proceeds_cents"],
    ) == (
        75000,
        11250,
        63750,
    )
    assert (sale["cost_basis_cents"], sale["gain_cents"], sale["basis_source"]) == (
        FACE,
        13750,
        "order",
    )
    assert sale["ticket_id"] == seller.tickets[0]["id"]
    assert sale["acquired_at"] is not None
    assert datetime.fromisoformat(sale["disposed_at"]) == released_at
    assert shown["totals"] == {
        "sales": 1,
        "gross_proceeds_cents": 63750,
        "cost_basis_cents": FACE,
        "gain_cents": 13750,
        "basis_unknown_sales": 0,
    }

    admin_id = new_id(Prefix.USER)
    admin = shop.aws.access_token(admin_id, "buyer", "admin", email=f"{admin_id}@example.com")
    listed = api.get(f"/admin/tax-forms/{year}?limit=50", token=admin)
    assert listed.status == 200, listed.body
    _no_tin(listed.body)
    (row,) = [one for one in listed.json()["forms"] if one["seller_id"] == seller.user_id]
    assert row["totals"]["gross_proceeds_cents"] == 63750
    assert row["payee"]["tin_masked"] == "***-**-6789"
    assert api.get(f"/admin/tax-forms/{year}", token=seller.token).status == 403


def test_a_seller_below_the_threshold_sees_the_figures_and_no_form_is_required(
    api: Api, shop: Shop
):
    seller, released_at = _sold(shop, price=60000)  # 51000 to the seller
    year = released_at.year

    form = api.get(f"/me/tax-forms/{year}", token=seller.token).json()

    assert form["required"] is False
    assert form["payee"] is None  # no tax profile saved
    assert [sale["gross_proceeds_cents"] for sale in form["sales"]] == [51000]
    admin_id = new_id(Prefix.USER)
    admin = shop.aws.access_token(admin_id, "buyer", "admin", email=f"{admin_id}@example.com")
    listed = api.get(f"/admin/tax-forms/{year}", token=admin).json()
    assert seller.user_id not in [one["seller_id"] for one in listed["forms"]]


def test_a_year_without_forms_is_a_problem_naming_the_year(api: Api, aws: AwsStack):
    user_id = new_id(Prefix.USER)
    token = aws.access_token(user_id, "buyer", email=f"{user_id}@example.com")
    next_year = datetime.now(UTC).year + 1

    for year in (2024, next_year):
        refused = api.get(f"/me/tax-forms/{year}", token=token)
        assert refused.status == 422, refused.body
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"].endswith("year")
    assert api.get("/me/tax-forms/twenty", token=token).status == 422
    empty = api.get(f"/me/tax-forms/{datetime.now(UTC).year}", token=token).json()
    assert (empty["required"], empty["sales"], empty["totals"]["sales"]) == (False, [], 0)
    admin_id = new_id(Prefix.USER)
    admin = aws.access_token(admin_id, "buyer", "admin", email=f"{admin_id}@example.com")
    forged = api.get("/admin/tax-forms/2026?cursor=forged", token=admin)
    assert forged.status == 400, forged.body
    assert api.get("/admin/tax-forms/2026?limit=51", token=admin).status == 422
    assert api.get("/admin/tax-forms/2024", token=admin).status == 422


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [("GetMyTaxFormFunction", "no_sales", 200), ("ListTaxFormsFunction", "ok", 200)],
)
def test_sample_events(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]
