"""Each integration test starts from the stack as provisioned (tests/integration/
moto_snapshot.py): what one test writes, queues or mails is gone for the next, and what
the template provisioned is still there. Fails loudly if a moto upgrade breaks that."""

from __future__ import annotations

import boto3

from tests.integration import moto_snapshot
from tests.integration.conftest import AwsStack, Provisioned
from tests.mailbox import sent_in_process


def test_a_tests_writes_are_gone_and_the_provisioned_stack_remains(
    aws: AwsStack, provisioned: Provisioned
):
    table = aws.stack.physical_name("Table")
    queue_url = aws.client("sqs").get_queue_url(QueueName=aws.stack.physical_name("NotifierQueue"))[
        "QueueUrl"
    ]
    dynamodb, sqs, ses = aws.client("dynamodb"), aws.client("sqs"), aws.client("ses")
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "LEFT#1"}, "SK": {"S": "OVER"}})
    sqs.send_message(QueueUrl=queue_url, MessageBody="left over")
    ses.verify_email_identity(EmailAddress="someone@example.com")
    ses.send_email(
        Source="someone@example.com",
        Destination={"ToAddresses": ["else@example.com"]},
        Message={"Subject": {"Data": "left over"}, "Body": {"Text": {"Data": "."}}},
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="not-in-the-template")

    # The fixture restored a copy before this test: were it the snapshot itself, these
    # writes would be in it and come back now.
    moto_snapshot.restore(provisioned.snapshot)

    key = {"PK": {"S": "LEFT#1"}, "SK": {"S": "OVER"}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key)
    assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    assert sent_in_process() == []
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
