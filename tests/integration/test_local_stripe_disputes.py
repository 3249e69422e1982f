"""Issue 35: the local Stripe server disputes a payment made with Stripe's dispute test
card and fails a refund to its refund-failure test card, as Stripe's test mode does,
driven through the real SDK (scripts/devstack/stripe_extensions.py). The webhooks it
sends are signed with the endpoint's secret, and the app's own intake takes them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import stripe

from admitone.adapters.stripe_api import stripe_client
from tests.integration.conftest import Api, AwsStack
from tests.integration.money_kit import assert_ledger_balances, ledger_page
from tests.integration.payments_kit import WORKER, drain
from tests.integration.shop import VISA, open_shop, pay
from tests.integration.test_stripe_intake import body_of, deliver, webhook_secret

DISPUTE_CARD = "4000000000000259"
REFUND_FAILURE_CARD = "4000000000005126"
# The server sends each event about a second after it happened; this is only a ceiling.
WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Delivery:
    body: str
    signature: str
    event: Any  # stripe.Event, verified

    @property
    def seen(self) -> tuple[str, str]:
        return self.event.type, self.event.data.object.status


class StripeEndpoint:
    """A webhook endpoint on 127.0.0.1 registered with the local Stripe server; it keeps
    every delivery, verified with ``stripe.Webhook.construct_event``."""

    def __init__(self, stripe_url: str, secret: str) -> None:
        self.stripe_url, self.secret = stripe_url, secret
        self.name = f"test-{uuid.uuid4().hex[:12]}"
        self.received: list[tuple[str, str]] = []
        self._arrived = threading.Condition()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with endpoint._arrived:
                    endpoint.received.append((body, self.headers.get("Stripe-Signature", "")))
                    endpoint._arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._config(
            "POST", {"url": f"http://127.0.0.1:{self.server.server_port}/", "secret": secret}
        )

    def _config(self, method: str, form: dict[str, str] | None = None) -> None:
        requests.request(
            method, f"{self.stripe_url}/_config/webhooks/{self.name}", data=form, timeout=5
        ).raise_for_status()

    def close(self) -> None:
        self._config("DELETE")
        self.server.shutdown()

    def about(self, object_id: str) -> list[Delivery]:
        """The deliveries whose object is ``object_id``, in the order they arrived."""
        with self._arrived:
            received = list(self.received)
        verified = [
            Delivery(body, signature, stripe.Webhook.construct_event(body, signature, self.secret))
            for body, signature in received
        ]
        return [d for d in verified if d.event.data.object.id == object_id]

    def wait_for(self, object_id: str, count: int) -> list[Delivery]:
        """The first ``count`` deliveries about ``object_id``, waiting for them if need be."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._arrived:
            while len(found := self.about(object_id)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{count} webhooks about {object_id}, got {len(found)}"
                self._arrived.wait(left)
        return found[:count]


@pytest.fixture
def endpoint(aws: AwsStack, localstripe_url: str) -> Iterator[StripeEndpoint]:
    aws.use_function(WORKER)  # a function's environment: where its Stripe client is
    # The app's own webhook secret, so what arrives here can be handed to its intake.
    made = StripeEndpoint(localstripe_url, webhook_secret(aws))
    yield made
    made.close()


def paid_intent(card: str, amount: int = 5000) -> str:
    intent = stripe_client().v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method_types": ["card"]}
    )
    assert pay(intent.id, card).status == "succeeded"
    return intent.id


def dispute_of(payment_intent_id: str) -> Any:
    [dispute] = stripe_client().v1.disputes.list(params={"payment_intent": payment_intent_id}).data
    return dispute


def test_a_payment_with_the_dispute_card_is_disputed_and_stripe_sends_word(
    endpoint: StripeEndpoint,
):
    payment_intent_id = paid_intent(DISPUTE_CARD, 5400)

    dispute = dispute_of(payment_intent_id)
    assert dispute.id.startswith("dp_")
    assert (dispute.amount, dispute.currency, dispute.payment_intent) == (
        5400,
        "usd",
        payment_intent_id,
    )
    assert (dispute.status, dispute.reason) == ("needs_response", "fraudulent")
    charge = stripe_client().v1.charges.retrieve(dispute.charge)
    assert (charge.payment_intent, charge.disputed) == (payment_intent_id, True)
    assert stripe_client().v1.disputes.retrieve(dispute.id).to_dict() == dispute.to_dict()
    [created] = endpoint.wait_for(dispute.id, 1)
    assert created.seen == ("charge.dispute.created", "needs_response")
    assert created.event.data.object.charge == charge.id

    ordinary = paid_intent(VISA)
    assert stripe_client().v1.disputes.list(params={"payment_intent": ordinary}).data == []


@pytest.mark.parametrize(
    ("evidence", "outcome"), [("winning_evidence", "won"), ("losing_evidence", "lost")]
)
def test_evidence_closes_the_dispute_as_stripes_test_mode_decides(
    endpoint: StripeEndpoint, evidence: str, outcome: str
):
    dispute = dispute_of(paid_intent(DISPUTE_CARD))

    updated = stripe_client().v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": evidence}}
    )

    assert updated.status == outcome
    assert updated.evidence.uncategorized_text == evidence
    assert [d.seen for d in endpoint.wait_for(dispute.id, 3)] == [
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.updated", "under_review"),
        ("charge.dispute.closed", outcome),
    ]
    assert stripe_client().v1.disputes.retrieve(dispute.id).status == outcome


def test_accepting_a_dispute_loses_it_once(endpoint: StripeEndpoint):
    dispute = dispute_of(paid_intent(DISPUTE_CARD))
    reviewed = stripe_client().v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "It was them."}}
    )
    assert reviewed.status == "under_review"  # only the test values decide it

    assert stripe_client().v1.disputes.close(dispute.id).status == "lost"

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client().v1.disputes.close(dispute.id)
    assert [d.seen for d in endpoint.wait_for(dispute.id, 3)] == [
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.updated", "under_review"),
        ("charge.dispute.closed", "lost"),
    ]


def test_the_test_hooks_dispute_a_refunded_charge_and_change_the_disputed_amount(
    endpoint: StripeEndpoint, localstripe_url: str
):
    """What the SDK cannot ask: a dispute after a refund, an amount that changes."""
    payment_intent_id = paid_intent(VISA)
    refund = stripe_client().v1.refunds.create(params={"payment_intent": payment_intent_id})
    opened = requests.post(
        f"{localstripe_url}/_config/charges/{refund.charge}/dispute", data={}, timeout=5
    )
    opened.raise_for_status()
    dispute_id = opened.json()["id"]
    requests.post(
        f"{localstripe_url}/_config/disputes/{dispute_id}", data={"amount": 1200}, timeout=5
    ).raise_for_status()

    assert stripe_client().v1.disputes.close(dispute_id).amount == 1200
    told = [d.event.data.object for d in endpoint.wait_for(dispute_id, 3)]
    assert [(o.status, o.amount) for o in told] == [
        ("needs_response", 5000),
        ("needs_response", 1200),
        ("lost", 1200),
    ]
    assert told[0].payment_intent == payment_intent_id


def test_a_refund_to_the_refund_failure_card_succeeds_then_fails(endpoint: StripeEndpoint):
    payment_intent_id = paid_intent(REFUND_FAILURE_CARD)

    refund = stripe_client().v1.refunds.create(
        params={"payment_intent": payment_intent_id, "amount": 1500, "metadata": {"mine": "1"}}
    )

    assert (refund.status, refund.failure_reason) == ("succeeded", None)
    assert refund.metadata.to_dict() == {"mine": "1"}
    deliveries = endpoint.wait_for(refund.id, 3)
    assert [d.seen for d in deliveries] == [
        ("charge.refund.updated", "failed"),
        ("refund.updated", "failed"),
        ("refund.failed", "failed"),
    ]
    for delivery in deliveries:
        told = delivery.event.data.object
        assert told.failure_reason == "expired_or_canceled_card"
        assert (told.payment_intent, told.metadata.to_dict()) == (payment_intent_id, {"mine": "1"})
    failed = stripe_client().v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert stripe_client().v1.charges.retrieve(failed.charge).amount_refunded == 0


def test_the_apps_intake_takes_the_dispute_webhooks_as_sent(
    aws: AwsStack, api: Api, endpoint: StripeEndpoint
):
    shop = open_shop(api, aws)
    _, token = shop.buyer()
    placed = shop.order(token, {"ga": 1}).json()
    payment_intent_id = placed["payment"]["payment_intent_id"]
    pay(payment_intent_id, DISPUTE_CARD)
    dispute = dispute_of(payment_intent_id)

    def forward(deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            response = deliver(aws, delivery.body, signature=delivery.signature)
            assert response["statusCode"] == 200, response["body"]
            assert body_of(response)["outcome"] == "enqueued"
        drain(aws)

    def seen() -> dict[str, Any]:
        return dict(shop.api.get(f"/orders/{placed['order_id']}", token=token).json())

    forward(endpoint.wait_for(payment_intent_id, 1) + endpoint.wait_for(dispute.id, 1))
    assert (seen()["status"], seen()["disputed"]) == ("paid", True)

    stripe_client().v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    # charge.dispute.updated is recorded and acknowledged, not acted on: forward the close.
    forward(endpoint.wait_for(dispute.id, 3)[2:])
    kinds = {t["kind"] for t in ledger_page(shop)}
    assert {"dispute_opened", "dispute_lost"} <= kinds
    assert_ledger_balances()
