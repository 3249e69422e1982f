"""PUT/GET /me/tax-profile through the template's API: the TIN is checked, stored only
sealed (KMS on moto) and shown masked in every answer."""

from __future__ import annotations

from typing import Any

import pytest

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import get
from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack

ADDRESS = {"line1": "1 Music Row", "city": "Nashville", "state": "TN", "postal_code": "37203"}


def _profile(**changes: Any) -> dict[str, Any]:
    return {
        "legal_name": "Ada  Lovelace",
        "tin_kind": "ssn",
        "tin": "123-45-6789",
        "address": ADDRESS,
        **changes,
    }


@pytest.fixture
def seller(aws: AwsStack) -> tuple[str, str]:
    user_id = new_id(Prefix.USER)
    return user_id, aws.access_token(user_id, "buyer", email=f"{user_id}@example.com")


def test_a_saved_profile_keeps_the_tin_sealed_and_shows_it_masked(
    api: Api, aws: AwsStack, seller: tuple[str, str]
):
    user_id, token = seller
    assert api.get("/me/tax-profile", token=token).status == 404

    saved = api.request("PUT", "/me/tax-profile", json_body=_profile(), token=token)

    assert saved.status == 200, saved.body
    assert saved.json()["tin_masked"] == "***-**-6789"
    assert saved.json()["legal_name"] == "Ada Lovelace"
    assert b"123-45-6789" not in saved.body
    assert b"123456789" not in saved.body
    shown = api.get("/me/tax-profile", token=token)
    assert shown.status == 200
    assert shown.json() == saved.json()
    aws.use_function("GetTaxProfileFunction")
    stored = get(keys.tax_profile(user_id))
    assert stored is not None
    assert stored["sealed_tin"].startswith("env1.")
    assert "123456789" not in repr(stored)
    assert "6789" not in repr(stored)


def test_a_second_put_replaces_the_profile(api: Api, seller: tuple[str, str]):
    _, token = seller
    api.request("PUT", "/me/tax-profile", json_body=_profile(), token=token)

    again = api.request(
        "PUT", "/me/tax-profile", json_body=_profile(tin_kind="ein", tin="12-3456789"), token=token
    )

    assert again.status == 200
    assert again.json()["tin_masked"] == "**-***6789"
    assert api.get("/me/tax-profile", token=token).json()["tin_kind"] == "ein"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (_profile(tin="000-12-3456"), "tin", "TIN_INVALID"),
        (_profile(tin="666-12-3456"), "tin", "TIN_INVALID"),
        (_profile(tin_kind="itin", tin="123-45-6789"), "tin", "TIN_INVALID"),
        (_profile(tin="1234-5-6789"), "tin", "TIN_FORMAT"),
        (_profile(tin="12345678"), "tin", None),
        (_profile(tin_kind="vat"), "tin_kind", None),
        (_profile(legal_name="x" * 121), "legal_name", None),
        (_profile(address={**ADDRESS, "state": "ZZ"}), "address.state", "INVALID"),
        (_profile(address={**ADDRESS, "country": "CA"}), "address.country", None),
        (_profile(address={**ADDRESS, "postal_code": "3720"}), "address.postal_code", None),
        (_profile(extra=1), "extra", None),
    ],
)
def test_a_bad_profile_is_a_problem_naming_the_field_and_is_not_saved(
    api: Api, seller: tuple[str, str], body: dict[str, Any], field: str, code: str | None
):
    _, token = seller

    refused = api.request("PUT", "/me/tax-profile", json_body=body, token=token)

    assert refused.status == 422, refused.body
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] in ("VALIDATION_FAILED", "TAX_PROFILE_INVALID")
    assert any(error["field"].endswith(field) for error in problem["errors"]), problem
    if code is not None:
        assert any(error["code"] == code for error in problem["errors"]), problem
    assert body["tin"] not in refused.body.decode()
    assert api.get("/me/tax-profile", token=token).status == 404


def test_the_profile_routes_need_a_signed_in_caller(api: Api):
    assert api.get("/me/tax-profile").status == 401
    assert api.request("PUT", "/me/tax-profile", json_body=_profile()).status == 401


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [("PutTaxProfileFunction", "ok", 200), ("GetTaxProfileFunction", "not_saved", 404)],
)
def test_sample_events(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]
    assert "3456789" not in response["body"]
