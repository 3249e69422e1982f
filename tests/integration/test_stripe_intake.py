"""POST /webhooks/stripe: signed events are recorded once and queued per PaymentIntent;
anything unsigned is a 400; when the queue is down nothing is lost."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from admitone.adapters import queues
from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.stripe_inbox import DynamoStripeInbox
from admitone.adapters.dynamo.table import from_attributes
from tests.conftest import sample_event
from tests.integration.conftest import Api, AwsStack

FUNCTION = "StripeWebhookFunction"


# ------------------------------------------------------------------ helpers
def webhook_secret(aws: AwsStack) -> str:
    return str(aws.provisioner.secret_values["StripeSecret"]["webhook_secret"])


def sign(body: str, secret: str, *, at: float | None = None) -> str:
    """Stripe's scheme, written out here so the SDK is not checked against itself."""
    timestamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_body(event_type: str, data_object: dict[str, Any], event_id: str) -> str:
    # Pretty-printed, as Stripe sends it: a handler that re-serialized would break the HMAC.
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": data_object},
    }
    return json.dumps(event, indent=2)


def pi_succeeded(event_id: str = "evt_1Succeeded", pi_id: str = "pi_1Succeeded") -> str:
    data_object = {"id": pi_id, "object": "payment_intent", "amount": 5400, "currency": "usd"}
    return event_body("payment_intent.succeeded", data_object, event_id)


def delivery(
    body: str | bytes, signature: str | None, *, base64_encoded: bool = False
) -> dict[str, Any]:
    """The bad-signature sample, carrying ``body`` and ``signature`` instead."""
    event = sample_event("payments.stripe_webhook", "bad_signature")
    headers = {k: v for k, v in event["headers"].items() if k != "stripe-signature"}
    if signature is not None:
        headers["stripe-signature"] = signature
    raw = body.encode() if isinstance(body, str) else body
    event["headers"] = {**headers, "content-length": str(len(raw))}
    event["body"] = base64.b64encode(raw).decode() if base64_encoded else raw.decode()
    event["isBase64Encoded"] = base64_encoded
    return event


def deliver(aws: AwsStack, body: str, *, signature: str | None = None) -> dict[str, Any]:
    """One correctly signed delivery (unless ``signature`` says otherwise)."""
    signed = signature if signature is not None else sign(body, webhook_secret(aws))
    response: dict[str, Any] = aws.invoke(FUNCTION, delivery(body, signed))
    return response


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def queue_url(aws: AwsStack) -> str:
    return aws.stack.function(FUNCTION).environment["PAYMENT_EVENTS_QUEUE_URL"]


def queued(aws: AwsStack) -> list[dict[str, Any]]:
    """Every message in the FIFO queue (received, then made visible again)."""
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url(aws),
            MaxNumberOfMessages=10,
            AttributeNames=["MessageGroupId", "MessageDeduplicationId"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def inbox_item(aws: AwsStack, event_id: str) -> dict[str, Any] | None:
    response = aws.client("dynamodb").get_item(
        TableName=aws.stack.physical_name("Table"),
        Key={"PK": {"S": f"STRIPE_EVENT#{event_id}"}, "SK": {"S": "STRIPE_EVENT"}},
        ConsistentRead=True,
    )
    return from_attributes(response["Item"]) if "Item" in response else None


def pending_event_ids(aws: AwsStack) -> list[str]:
    """The reconcile job's work list: handled events the queue has not taken (every shard)."""
    return [
        from_attributes(item)["event_id"]
        for pending in keys.stripe_inbox_pending_lists()
        for item in aws.client("dynamodb").query(
            TableName=aws.stack.physical_name("Table"),
            IndexName="GSI3",
            KeyConditionExpression="GSI3PK = :pending",
            ExpressionAttributeValues={":pending": {"S": pending}},
        )["Items"]
    ]


@pytest.fixture
def sends(aws: AwsStack) -> list[str]:
    """Event ids of every send to the queue (SQS's own 5-minute dedup would hide repeats)."""
    sent: list[str] = []
    real_send: Callable[..., None] = queues.send_payment_event

    def counting_send(body: str, *, group_id: str, deduplication_id: str) -> None:
        sent.append(deduplication_id)
        real_send(body, group_id=group_id, deduplication_id=deduplication_id)

    aws.monkeypatch.setattr(queues, "send_payment_event", counting_send)
    return sent


def assert_refused(response: dict[str, Any], code: str = "STRIPE_SIGNATURE_INVALID") -> None:
    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert body_of(response)["code"] == code


# ------------------------------------------------------------------ accepted
def test_a_signed_payment_intent_event_is_stored_and_queued_in_its_payment_intent_group(
    aws: AwsStack,
):
    body = pi_succeeded("evt_1Paid", "pi_1Paid")
    response = deliver(aws, body)

    assert response["statusCode"] == 200
    assert body_of(response) == {"received": True, "event_id": "evt_1Paid", "outcome": "enqueued"}
    [message] = queued(aws)
    assert message["Attributes"]["MessageGroupId"] == "pi_1Paid"
    assert message["Attributes"]["MessageDeduplicationId"] == "evt_1Paid"
    assert message["Body"] == body  # the bytes Stripe signed, not a re-serialization
    item = inbox_item(aws, "evt_1Paid")
    assert item is not None
    assert item["enqueued"] is True
    assert item["handled"] is True
    assert item["payload"] == body
    assert item["expires_at"] - item["received_at"] == 30 * 24 * 3600
    assert "GSI3PK" not in item
    assert pending_event_ids(aws) == []


def test_the_same_event_delivered_three_times_is_queued_once(aws: AwsStack, sends: list[str]):
    body = pi_succeeded("evt_1Thrice")
    outcomes = [body_of(deliver(aws, body))["outcome"] for _ in range(3)]

    assert outcomes == ["enqueued", "already_enqueued", "already_enqueued"]
    assert sends == ["evt_1Thrice"]
    assert len(queued(aws)) == 1


@pytest.mark.parametrize(
    ("event_type", "data_object"),
    [
        ("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1Order"}),
        ("refund.updated", {"id": "re_1", "object": "refund", "payment_intent": "pi_1Order"}),
        (
            "charge.dispute.created",
            {"id": "dp_1", "object": "dispute", "payment_intent": "pi_1Order"},
        ),
    ],
)
def test_charge_refund_and_dispute_events_join_their_payment_intent_group(
    aws: AwsStack, event_type: str, data_object: dict[str, Any]
):
    deliver(aws, pi_succeeded("evt_1First", "pi_1Order"))
    response = deliver(aws, event_body(event_type, data_object, "evt_1Second"))

    assert response["statusCode"] == 200
    messages = queued(aws)
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["pi_1Order", "pi_1Order"]
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == [
        "evt_1First",
        "evt_1Second",
    ]


@pytest.mark.parametrize("seconds", [-290, 290])
def test_a_timestamp_within_300_seconds_either_way_is_accepted(aws: AwsStack, seconds: int):
    body = pi_succeeded()
    response = deliver(
        aws, body, signature=sign(body, webhook_secret(aws), at=time.time() + seconds)
    )
    assert response["statusCode"] == 200


def test_a_base64_encoded_body_is_verified_as_the_bytes_it_encodes(aws: AwsStack):
    body = pi_succeeded("evt_1Encoded").replace("usd", "usd\u00a0")  # non-ASCII bytes too
    event = delivery(body, sign(body, webhook_secret(aws)), base64_encoded=True)
    response = aws.invoke(FUNCTION, event)
    assert response["statusCode"] == 200
    [message] = queued(aws)
    assert message["Body"] == body


def test_an_unhandled_type_is_recorded_and_acknowledged_but_not_queued(
    aws: AwsStack, sends: list[str]
):
    body = event_body("customer.created", {"id": "cus_1", "object": "customer"}, "evt_1Cus")
    responses = [deliver(aws, body) for _ in range(2)]

    assert [r["statusCode"] for r in responses] == [200, 200]
    assert {body_of(r)["outcome"] for r in responses} == {"ignored"}
    item = inbox_item(aws, "evt_1Cus")
    assert item is not None
    assert item["handled"] is False
    assert item["event_type"] == "customer.created"
    assert "enqueued" not in item
    assert "GSI3PK" not in item
    assert sends == []
    assert queued(aws) == []


def test_the_route_is_public_behind_the_gateway(api: Api, aws: AwsStack):
    event = json.loads(pi_succeeded("evt_1ViaGateway"))
    # The test client sends json.dumps(json_body): sign exactly those bytes.
    signature = sign(json.dumps(event), webhook_secret(aws))
    response = api.post("/webhooks/stripe", event, headers={"Stripe-Signature": signature})
    assert response.status == 200
    assert response.json()["outcome"] == "enqueued"


# ------------------------------------------------------------------ refused
def test_the_bad_signature_sample_is_a_400_and_stores_nothing(aws: AwsStack):
    response = aws.invoke_sample("StripeWebhookFunction", "bad_signature")

    assert_refused(response)
    problem = body_of(response)
    assert problem["status"] == 400
    assert "whsec" not in response["body"]
    event_id = json.loads(sample_event("payments.stripe_webhook", "bad_signature")["body"])["id"]
    assert inbox_item(aws, event_id) is None
    assert queued(aws) == []


# case -> (the signature sent, the reason logged: a wrong secret and a clock problem
# call for different people)
REFUSALS: dict[str, tuple[Callable[[str, str], str | None], str]] = {
    "stale": (lambda body, secret: sign(body, secret, at=time.time() - 301), "stale"),
    "future": (lambda body, secret: sign(body, secret, at=time.time() + 301), "future"),
    "far future": (lambda body, secret: sign(body, secret, at=time.time() + 86_400), "future"),
    "missing": (lambda body, secret: None, "missing"),
    "empty": (lambda body, secret: "", "missing"),
    "another secret": (lambda body, secret: sign(body, "whsec_someone_else"), "mismatch"),
    "another secret, stale": (
        lambda body, secret: sign(body, "whsec_someone_else", at=time.time() - 301),
        "mismatch",
    ),
    "body changed after signing": (
        lambda body, secret: sign(body.replace("5400", "1"), secret),
        "mismatch",
    ),
    "no v1": (lambda body, secret: sign(body, secret).replace("v1=", "v0="), "mismatch"),
    "no timestamp": (lambda body, secret: sign(body, secret).split(",", 1)[1], "malformed"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_delivery_that_does_not_verify_is_a_400_and_stores_nothing(
    aws: AwsStack, sends: list[str], caplog: pytest.LogCaptureFixture, case: str
):
    make_signature, reason = REFUSALS[case]
    body = pi_succeeded("evt_1Refused")
    response = aws.invoke(FUNCTION, delivery(body, make_signature(body, webhook_secret(aws))))

    assert_refused(response)
    assert reason not in body_of(response)["detail"]  # the caller learns nothing more
    [logged] = [r for r in caplog.records if r.getMessage() == "stripe signature refused"]
    assert logged.reason == reason  # type: ignore[attr-defined]
    assert inbox_item(aws, "evt_1Refused") is None
    assert sends == []


def test_a_body_that_is_not_utf8_is_a_400(aws: AwsStack):
    raw = b'{"id": "evt_1\xff"}'
    signature = sign(raw.decode("latin-1"), webhook_secret(aws))
    response = aws.invoke(FUNCTION, delivery(raw, signature, base64_encoded=True))
    assert_refused(response)


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"object": "v2.core.event", "id": "evt_1"}', '{"id": "evt_1"}'],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_a_400(aws: AwsStack, body: str):
    response = deliver(aws, body)
    assert_refused(response, "STRIPE_EVENT_MALFORMED")


# ------------------------------------------------------------------ nothing is lost
def test_when_the_queue_is_down_the_event_stays_pending_until_a_redelivery_queues_it_once(
    aws: AwsStack, sends: list[str]
):
    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url(aws), AttributeNames=["All"])
    sqs.delete_queue(QueueUrl=queue_url(aws))
    body = pi_succeeded("evt_1QueueDown", "pi_1QueueDown")

    down = deliver(aws, body)

    assert down["statusCode"] == 503  # 5xx: Stripe retries
    assert body_of(down)["code"] == "DEPENDENCY_UNAVAILABLE"
    item = inbox_item(aws, "evt_1QueueDown")
    assert item is not None
    assert item["enqueued"] is False
    assert pending_event_ids(aws) == ["evt_1QueueDown"]

    kept = ("FifoQueue", "ContentBasedDeduplication", "VisibilityTimeout", "RedrivePolicy")
    name = queue_url(aws).rsplit("/", 1)[1]
    sqs.create_queue(
        QueueName=name, Attributes={k: v for k, v in attributes["Attributes"].items() if k in kept}
    )
    outcomes = [body_of(deliver(aws, body))["outcome"] for _ in range(2)]

    assert outcomes == ["enqueued", "already_enqueued"]
    assert sends == ["evt_1QueueDown", "evt_1QueueDown"]  # the failed try, then one more
    [message] = queued(aws)
    assert message["Attributes"]["MessageGroupId"] == "pi_1QueueDown"
    assert pending_event_ids(aws) == []


def test_when_marking_fails_after_the_send_a_redelivery_finishes_the_job(
    aws: AwsStack, sends: list[str]
):
    real_mark = DynamoStripeInbox.mark_enqueued

    def table_down(self: DynamoStripeInbox, event_id: str, **_: Any) -> None:
        error = {"Error": {"Code": "InternalServerError", "Message": "down"}}
        raise ClientError(error, "UpdateItem")  # type: ignore[arg-type]

    aws.monkeypatch.setattr(DynamoStripeInbox, "mark_enqueued", table_down)
    body = pi_succeeded("evt_1MarkFails")
    assert deliver(aws, body)["statusCode"] == 500
    assert pending_event_ids(aws) == ["evt_1MarkFails"]

    aws.monkeypatch.setattr(DynamoStripeInbox, "mark_enqueued", real_mark)
    assert body_of(deliver(aws, body))["outcome"] == "enqueued"
    assert sends == ["evt_1MarkFails", "evt_1MarkFails"]
    assert len(queued(aws)) == 1  # the resend fell in SQS's deduplication window
    assert pending_event_ids(aws) == []


def test_an_event_past_its_30_days_counts_as_new(aws: AwsStack, sends: list[str]):
    body = pi_succeeded("evt_1Old")
    deliver(aws, body)
    aws.client("dynamodb").update_item(
        TableName=aws.stack.physical_name("Table"),
        Key={"PK": {"S": "STRIPE_EVENT#evt_1Old"}, "SK": {"S": "STRIPE_EVENT"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    assert body_of(deliver(aws, body))["outcome"] == "enqueued"
    assert sends == ["evt_1Old", "evt_1Old"]


# ------------------------------------------------------------------ no secret, no entry
@pytest.mark.parametrize(
    "stripe_keys",
    [
        {"api_key": "sk_test_x"},
        {"api_key": "sk_test_x", "webhook_secret": ""},
        {"api_key": "sk_test_x", "webhook_secret": "  "},
        {"api_key": "sk_test_x", "webhook_secret": None},
    ],
)
def test_without_a_webhook_secret_every_delivery_is_refused_never_accepted(
    aws: AwsStack, sends: list[str], stripe_keys: dict[str, Any]
):
    body = pi_succeeded("evt_1NoSecret")
    signature = sign(body, webhook_secret(aws))
    aws.client("secretsmanager").put_secret_value(
        SecretId=aws.stack.function(FUNCTION).environment["STRIPE_SECRET_ID"],
        SecretString=json.dumps(stripe_keys),
    )
    # Even a delivery signed with the empty string as the secret.
    for signed in (signature, sign(body, "")):
        response = aws.invoke(FUNCTION, delivery(body, signed))
        assert response["statusCode"] == 500
        assert body_of(response)["code"] == "INTERNAL_ERROR"
    assert inbox_item(aws, "evt_1NoSecret") is None
    assert sends == []
