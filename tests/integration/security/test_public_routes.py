"""Guessing and cost on public routes (issue 16, item 8): voucher codes cannot be guessed
through quotes or orders, and the public health check costs no dependency a call."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters import bus, stripe_api
from admitone.adapters.dynamo import rate_counters, table
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.services import quote
from tests.integration.conftest import Api, AwsStack
from tests.integration.test_quotes import on_sale

GUESSER = "203.0.113.66"
NEIGHBOUR = "203.0.113.67"
FAILED_TRIES_ALLOWED = 10  # per client and event in ten minutes


@pytest.fixture
def event(api: Api, aws: AwsStack) -> tuple[str, dict[str, str]]:
    """An event on sale with the voucher TENOFF (10 % off GA)."""
    return on_sale(api, aws, city="Nashville", nft=False)


def quote_with(api: Api, event: tuple[str, dict[str, str]], code: str, *, ip: str = GUESSER) -> Any:
    event_id, types = event
    cart = {"ticket_type_id": types["ga"], "quantity": 1}
    return api.post("/quotes", {"event_id": event_id, "items": [cart], "voucher_code": code}, ip=ip)


def guess(api: Api, event: tuple[str, dict[str, str]], tries: int, *, ip: str = GUESSER) -> list:
    return [quote_with(api, event, f"WRONG{n:03d}", ip=ip) for n in range(tries)]


def assert_attempts_exceeded(response: Any) -> None:
    assert response.status == 429, response.body
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VOUCHER_ATTEMPTS_EXCEEDED"
    assert "TENOFF" not in json.dumps(problem)
    assert 1 <= int(response.headers["retry-after"]) <= 600


# ---------------------------------------------------------------- voucher guessing
def test_fifty_wrong_codes_do_not_lead_to_the_right_one(api: Api, event):
    # Hole: POST /quotes told valid codes from invalid ones to anyone, without end.
    answers = guess(api, event, 50)
    assert [a.status for a in answers[:FAILED_TRIES_ALLOWED]] == [422] * FAILED_TRIES_ALLOWED
    assert {a.json()["code"] for a in answers[:FAILED_TRIES_ALLOWED]} == {"VOUCHER_INVALID"}
    for refused in answers[FAILED_TRIES_ALLOWED:]:
        assert_attempts_exceeded(refused)
    assert_attempts_exceeded(quote_with(api, event, "TENOFF"))  # not evaluated: not revealed


def test_a_buyer_using_the_right_code_again_and_again_is_never_held_back(api: Api, event):
    for _ in range(FAILED_TRIES_ALLOWED + 5):
        answer = quote_with(api, event, "tenoff")
        assert answer.status == 200, answer.body
        assert answer.json()["voucher_code"] == "TENOFF"
    assert quote_with(api, event, "NOPE1").status == 422  # no allowance was used up


def test_the_limit_is_per_client_and_per_event(api: Api, aws: AwsStack, event):
    guess(api, event, FAILED_TRIES_ALLOWED)
    assert_attempts_exceeded(quote_with(api, event, "TENOFF"))
    assert quote_with(api, event, "TENOFF", ip=NEIGHBOUR).status == 200
    other_event = on_sale(api, aws, city="Memphis", nft=False)
    assert quote_with(api, other_event, "TENOFF").status == 200
    assert quote_with(api, other_event, "WRONG").status == 422


def test_the_tries_come_back_when_the_window_ends(api: Api, event, monkeypatch: pytest.MonkeyPatch):
    now = datetime.now(UTC)
    monkeypatch.setattr(quote, "clock", lambda: now)
    guess(api, event, FAILED_TRIES_ALLOWED)
    assert_attempts_exceeded(quote_with(api, event, "TENOFF"))
    monkeypatch.setattr(quote, "clock", lambda: now + timedelta(minutes=10, seconds=1))
    assert quote_with(api, event, "TENOFF").status == 200


def test_placing_an_order_counts_against_the_same_tries(api: Api, aws: AwsStack, event):
    # Hole: POST /orders answers VOUCHER_INVALID too; the quote's limit alone would be
    # sidestepped by guessing through orders.
    event_id, types = event
    buyer = aws.access_token(new_id(Prefix.USER), "buyer")

    def order(code: str) -> Any:
        body = {
            "event_id": event_id,
            "items": [{"ticket_type_id": types["ga"], "quantity": 1}],
            "voucher_code": code,
        }
        headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
        return api.post("/orders", body, token=buyer, ip=GUESSER, headers=headers)

    guess(api, event, FAILED_TRIES_ALLOWED - 1)
    assert order("WRONG").json()["code"] == "VOUCHER_INVALID"
    assert_attempts_exceeded(order("TENOFF"))
    assert_attempts_exceeded(quote_with(api, event, "TENOFF"))


def test_unreachable_counters_refuse_codes_rather_than_let_them_through(
    api: Api, event, monkeypatch: pytest.MonkeyPatch
):
    def unreachable(*_: Any, **__: Any) -> bool:
        raise DependencyUnavailable("The rate limit store is unavailable.")

    monkeypatch.setattr(rate_counters, "try_count_hit", unreachable)
    refused = quote_with(api, event, "TENOFF")
    assert (refused.status, refused.json()["code"]) == (503, "DEPENDENCY_UNAVAILABLE")
    event_id, types = event
    cart = {"event_id": event_id, "items": [{"ticket_type_id": types["ga"], "quantity": 1}]}
    assert api.post("/quotes", cart, ip=GUESSER).status == 200  # no code, nothing to guard


# ---------------------------------------------------------------- health
@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every dependency probe the health check may make, recorded (and still made)."""
    called: list[str] = []

    def recording(name: str, probe: Callable[[], None]) -> Callable[[], None]:
        def record() -> None:
            called.append(name)
            probe()

        return record

    monkeypatch.setattr(table, "probe_table", recording("table", table.probe_table))
    monkeypatch.setattr(bus, "probe_bus", recording("bus", bus.probe_bus))
    monkeypatch.setattr(stripe_api, "probe_stripe", recording("stripe", stripe_api.probe_stripe))
    return called


def test_the_public_health_check_calls_no_dependency(api: Api, probes: list[str]):
    # Hole: every anonymous GET /health called DynamoDB, EventBridge and Stripe.
    for _ in range(3):
        response = api.get("/health")
        assert response.status == 200, response.body
        assert response.json() == {"status": "ok"}
        assert response.headers["cache-control"] == "no-store"
    assert probes == []


def test_the_deep_check_is_for_admins_and_touches_every_dependency(
    api: Api, aws: AwsStack, probes: list[str]
):
    assert api.get("/admin/health").status == 401
    buyer = aws.access_token(new_id(Prefix.USER), "buyer")
    assert api.get("/admin/health", token=buyer).status == 403
    assert probes == []
    admin = aws.access_token(new_id(Prefix.USER), "admin")
    response = api.get("/admin/health", token=admin)
    assert response.status == 200, response.body
    assert {n: c["status"] for n, c in response.json()["checks"].items()} == {
        "table": "ok",
        "bus": "ok",
        "stripe": "ok",
    }
    assert sorted(probes) == ["bus", "stripe", "table"]
