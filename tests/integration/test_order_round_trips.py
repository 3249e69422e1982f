"""How many DynamoDB calls one POST /orders with a voucher makes (issue 31, item 6):
counted with a botocore ``before-call`` hook on every session the request opens, the
authorizer's and the idempotency layer's included. Printed with ``-s``; the bound below
fails on a read coming back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest

from admitone.domain.orders import PER_USER_EVENT_LIMIT
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, open_shop

# 16 before the purchase path moved onto the unit of work: the voucher was read twice
# (the event partition's Query holds it; a GetItem read it again). 15 then; 16 since the
# inventory shards left the event's partition for partitions of their own (issue 18: the
# holds of an event no longer share one partition's ~1,000 write units a second), read
# in one BatchGetItem of the keys the partition's ticket types and pools name.
MOST_CALLS = 16


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws)


@dataclass
class Calls:
    """Every DynamoDB call made, by operation, and the partition of each GetItem."""

    operations: Counter[str] = field(default_factory=Counter)
    got: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.operations.clear()
        self.got.clear()


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    real = botocore.session.get_session

    def counting_session(*args: Any, **kwargs: Any) -> botocore.session.Session:
        session = real(*args, **kwargs)

        def count(model: Any, **_: Any) -> None:
            calls.operations[model.name] += 1

        def read(params: Any, **_: Any) -> None:
            calls.got.append(str(params["Key"]["PK"]["S"]).split("#")[0])

        session.register("before-call.dynamodb", count)
        session.register("before-parameter-build.dynamodb.GetItem", read)
        return session

    monkeypatch.setattr(botocore.session, "get_session", counting_session)
    return calls


def test_an_order_with_a_voucher_reads_the_voucher_once(shop: Shop, dynamodb_calls: Calls):
    created = shop.api.post(
        f"/events/{shop.event_id}/vouchers",
        {"code": "TENOFF", "kind": "percent", "value": 1000, "max_uses": 5},
        token=shop.organizer_token,
    )
    assert created.status == 201, created.body
    _, token = shop.buyer()
    dynamodb_calls.clear()

    response = shop.order(token, {"ga": 2}, voucher_code="TENOFF")

    assert response.status == 201, response.body
    total = sum(dynamodb_calls.operations.values())
    print(
        f"\nPOST /orders with a voucher: {total} DynamoDB calls {dict(dynamodb_calls.operations)}"
    )
    assert total <= MOST_CALLS
    # The event's partition holds the voucher: no read of it by key.
    assert "EVENT" not in dynamodb_calls.got


def test_an_order_over_the_buyers_limit_is_explained_without_another_read(
    shop: Shop, dynamodb_calls: Calls
):
    _, token = shop.buyer()
    assert shop.order(token, {"ga": PER_USER_EVENT_LIMIT}).status == 201
    dynamodb_calls.clear()

    response = shop.order(token, {"ga": 1})

    assert (response.status, response.json()["errors"][0]["code"]) == (422, "PER_BUYER_LIMIT")
    total = sum(dynamodb_calls.operations.values())
    print(
        f"\nPOST /orders over the limit: {total} DynamoDB calls {dict(dynamodb_calls.operations)}"
    )
    # The refusal's ALL_OLD standing says why: no read of the standing after it (the
    # authorizer reads the user, pricing the venue).
    assert sorted(dynamodb_calls.got) == ["USER", "VENUE"]
