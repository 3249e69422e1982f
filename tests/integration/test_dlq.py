"""scripts/dlq: every DLQ of the template is found with its source queue; show leaves the
messages where they are; redrive moves them back (FIFO groups kept)."""

from __future__ import annotations

from scripts import dlq
from tests.integration.conftest import AwsStack


def queues(aws: AwsStack) -> dict[str, dlq.DeadLetters]:
    sqs = aws.client("sqs")

    def url(logical_id: str) -> str:
        return str(sqs.get_queue_url(QueueName=aws.stack.physical_name(logical_id))["QueueUrl"])

    return {q.name: q for q in dlq.dead_letter_queues(aws.stack.resources, url)}


def test_every_redrive_target_is_listed_with_its_source(aws: AwsStack):
    found = queues(aws)
    assert {name: q.source_name for name, q in found.items()} == {
        "CancellationRefundsDLQ": "CancellationRefundsQueue",
        "EndListingsDLQ": "EndListingsQueue",
        "MintDLQ": "MintQueue",
        "NotifierDLQ": "NotifierQueue",
        "PaymentEventsDLQ": "PaymentEventsQueue",
        "PayoutTransfersDLQ": "PayoutTransfersQueue",
        "ReleaseEscrowsDLQ": "ReleaseEscrowsQueue",
        "UrgentMintDLQ": "UrgentMintQueue",
        "WebhooksDLQ": "WebhooksQueue",
    }
    assert found["PaymentEventsDLQ"].fifo


def test_show_keeps_and_redrive_moves_back(aws: AwsStack):
    sqs = aws.client("sqs")
    notifier = queues(aws)["NotifierDLQ"]
    for n in range(3):
        sqs.send_message(QueueUrl=notifier.url, MessageBody=f'{{"n": {n}}}')
    assert dlq.waiting(sqs, notifier) == 3
    assert len(dlq.show(sqs, notifier, 10)) == 3
    assert dlq.waiting(sqs, notifier) == 3
    assert dlq.redrive(sqs, notifier, 2) == 2
    assert dlq.waiting(sqs, notifier) == 1
    moved = sqs.receive_message(QueueUrl=notifier.source_url, MaxNumberOfMessages=10)["Messages"]
    assert len(moved) == 2


def test_a_fifo_redrive_keeps_the_message_group(aws: AwsStack):
    sqs = aws.client("sqs")
    payments = queues(aws)["PaymentEventsDLQ"]
    sqs.send_message(
        QueueUrl=payments.url,
        MessageBody="{}",
        MessageGroupId="pi_123",
        MessageDeduplicationId="evt_1",
    )
    assert dlq.redrive(sqs, payments, 10) == 1
    (back,) = sqs.receive_message(
        QueueUrl=payments.source_url, AttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert back["Attributes"]["MessageGroupId"] == "pi_123"
