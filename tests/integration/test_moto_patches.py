"""The local stack's moto rolls a failed transaction back item by item
(scripts/devstack/moto_patches.py): the outcome must be moto's own, all or nothing."""

from __future__ import annotations

import pytest

from admitone.adapters.dynamo import table
from admitone.adapters.dynamo.table import TransactionCancelled
from tests.integration.conftest import AwsStack


def test_a_cancelled_transaction_leaves_every_item_as_it_was(aws: AwsStack):
    aws.use_function("PlaceOrderFunction")
    existing = {"PK": "T#1", "SK": "T", "count": 1, "entity": "test"}
    table.transact([table.put_op(existing)])

    with pytest.raises(TransactionCancelled) as cancelled:
        table.transact(
            [
                table.put_op({"PK": "T#2", "SK": "T", "entity": "test"}),
                table.update_op(
                    {"PK": "T#1", "SK": "T"},
                    "SET #c = #c + :one",
                    names={"#c": "count"},
                    values={":one": 1},
                ),
                table.check_op({"PK": "T#3", "SK": "T"}, "attribute_exists(PK)"),
            ]
        )
    assert cancelled.value.reasons == ["None", "None", "ConditionalCheckFailed"]
    assert table.get({"PK": "T#2", "SK": "T"}, consistent=True) is None
    assert table.get({"PK": "T#1", "SK": "T"}, consistent=True) == existing

    table.transact(
        [
            table.put_op({"PK": "T#2", "SK": "T", "entity": "test"}),
            table.update_op(
                {"PK": "T#1", "SK": "T"},
                "SET #c = #c + :one",
                names={"#c": "count"},
                values={":one": 1},
            ),
        ]
    )
    assert table.get({"PK": "T#2", "SK": "T"}, consistent=True) is not None
    assert table.get({"PK": "T#1", "SK": "T"}, consistent=True)["count"] == 2


def test_a_query_reads_its_own_partition_only_and_an_index_query_still_works(aws: AwsStack):
    aws.use_function("PlaceOrderFunction")
    for pk, sk in (("Q#1", "A"), ("Q#1", "B"), ("Q#2", "A")):
        table.transact([table.put_op({"PK": pk, "SK": sk, "GSI1PK": "G", "GSI1SK": pk + sk})])
    assert [i["SK"] for i in table.query_partition("Q#1", consistent=True)] == ["A", "B"]
    assert [i["SK"] for i in table.query_partition("Q#1", sk_prefix="B")] == ["B"]
    assert table.query_partition("Q#3") == []
    request = {
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :g",
        "ExpressionAttributeValues": table.to_attributes({":g": "G"}),
    }
    found = [item["GSI1SK"] for page, _ in table.query_pages(request) for item in page]
    assert found == ["Q#1A", "Q#1B", "Q#2A"]
