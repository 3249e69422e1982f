"""Why moto runs serialized here: without it, a conditional decrement oversells.

Real DynamoDB applies each conditional write atomically per item; moto does not.
First the race is shown to be real against a plain moto server, then the
serialized moto (the local stack's server, and the in-process one the
integration tests use) is shown to never sell a seat that is not there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.conftest import AwsStack
from tests.local_servers import serving

STOCK = 20
BUYERS = 50
KEY = {"PK": {"S": "INVENTORY#race"}, "SK": {"S": "SHARD#0"}}


def _client(endpoint: str | None) -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=BUYERS, retries={"max_attempts": 1}),
    )


def _create_table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
    )


def race_for_the_last_seats(ddb: Any, table: str) -> tuple[int, int]:
    """BUYERS threads each try once to take a seat; returns (sold, remaining)."""
    ddb.put_item(TableName=table, Item={**KEY, "remaining": {"N": str(STOCK)}})
    start = threading.Barrier(BUYERS)
    sold = []

    def buy() -> None:
        start.wait()
        try:
            ddb.update_item(
                TableName=table,
                Key=KEY,
                UpdateExpression="SET remaining = remaining - :one",
                ConditionExpression="remaining >= :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            sold.append(1)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    threads = [threading.Thread(target=buy) for _ in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    remaining = int(
        ddb.get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"]["remaining"]["N"]
    )
    return len(sold), remaining


# Runs a server module with the interpreter switching threads every microsecond
# (default 5 ms): interleavings that are rare but possible become common, which
# makes the race show reliably and makes the guard's test stricter.
_HOSTILE_SCHEDULER = (
    "import runpy, sys; sys.setswitchinterval(1e-6); sys.argv = sys.argv[1:]; "
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


@pytest.fixture
def plain_moto_server() -> Iterator[str]:
    with serving("-c", _HOSTILE_SCHEDULER, "moto.server", "-H", "127.0.0.1", "-p") as url:
        yield url


@pytest.fixture
def serialized_moto_server() -> Iterator[str]:
    with serving("-c", _HOSTILE_SCHEDULER, "scripts.devstack.motoserver", "--port") as url:
        yield url


def test_without_the_lock_moto_sells_seats_that_are_not_there(plain_moto_server):
    ddb = _client(plain_moto_server)
    _create_table(ddb, "race")
    # Each round oversells about half the time here; stop at the first one that does.
    outcomes = []
    for _ in range(15):
        outcomes.append(race_for_the_last_seats(ddb, "race"))
        sold, remaining = outcomes[-1]
        if sold > STOCK or remaining < 0:
            break
    assert sold > STOCK or remaining < 0, outcomes


def test_the_serialized_moto_server_never_oversells(serialized_moto_server):
    ddb = _client(serialized_moto_server)
    _create_table(ddb, "race")
    for _ in range(3):
        assert race_for_the_last_seats(ddb, "race") == (STOCK, 0)


def test_the_serialized_in_process_moto_never_oversells(aws: AwsStack):
    table = aws.stack.physical_name("Table")
    for _ in range(3):
        assert race_for_the_last_seats(_client(None), table) == (STOCK, 0)
