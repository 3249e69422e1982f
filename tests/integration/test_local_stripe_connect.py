"""Issue 19: the local Stripe server has the minimum of Stripe Connect that payouts use
(scripts/devstack/stripe_extensions.py), driven through the real SDK: a connected
account is made and read; a transfer to it is made once per idempotency key (the same
key answers the first transfer, the same key with other parameters is refused), read and
listed by destination; a transfer to an unknown account, or to one that may not receive
transfers, is refused with Stripe's codes."""

from __future__ import annotations

import uuid

import pytest
import stripe

from admitone.adapters.stripe_api import stripe_client
from tests.integration.conftest import AwsStack
from tests.integration.payments_kit import WORKER


@pytest.fixture(autouse=True)
def stripe_of_the_app(aws: AwsStack) -> None:
    aws.use_function(WORKER)  # a function's environment: where its Stripe client is


def connected_account(*, transfers: bool = True) -> str:
    params: dict[str, object] = {"type": "express", "country": "US", "email": "s@example.com"}
    if transfers:
        params["capabilities"] = {"transfers": {"requested": True}}
    account = stripe_client().v1.accounts.create(params=params)  # type: ignore[arg-type]
    return account.id


def transfer(destination: str, key: str, amount: int = 12750) -> stripe.Transfer:
    return stripe_client().v1.transfers.create(
        params={
            "amount": amount,
            "currency": "usd",
            "destination": destination,
            "metadata": {"payout_id": key},
        },
        options={"idempotency_key": key},
    )


def test_an_account_is_made_and_read_with_its_transfers_capability():
    account_id = connected_account()
    assert account_id.startswith("acct_")
    account = stripe_client().v1.accounts.retrieve(account_id)
    assert (account.type, account.country, account.capabilities.transfers) == (
        "express",
        "US",
        "active",
    )
    inactive = stripe_client().v1.accounts.retrieve(connected_account(transfers=False))
    assert inactive.capabilities.transfers == "inactive"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client().v1.accounts.retrieve("acct_unknown")


def test_a_transfer_is_made_once_per_idempotency_key():
    destination = connected_account()
    key = f"pyo_{uuid.uuid4().hex}"

    first = transfer(destination, key)
    again = transfer(destination, key)

    assert first.id == again.id
    assert (first.amount, first.currency, first.destination) == (12750, "usd", destination)
    assert stripe_client().v1.transfers.retrieve(first.id).metadata["payout_id"] == key
    listed = stripe_client().v1.transfers.list(params={"destination": destination})
    assert [t.id for t in listed.data] == [first.id]
    with pytest.raises(stripe.IdempotencyError):
        transfer(destination, key, amount=12751)
    other = transfer(destination, f"pyo_{uuid.uuid4().hex}", amount=100)
    newest_first = stripe_client().v1.transfers.list(params={"destination": destination})
    assert {t.id for t in newest_first.data} == {first.id, other.id}


def test_a_transfer_stripe_cannot_make_is_refused_with_its_code():
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        transfer("acct_nobody", f"pyo_{uuid.uuid4().hex}")
    assert unknown.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as incapable:
        transfer(connected_account(transfers=False), f"pyo_{uuid.uuid4().hex}")
    assert incapable.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError):
        transfer(connected_account(), f"pyo_{uuid.uuid4().hex}", amount=0)
