"""Filter patterns decide which stream records reach a function."""

import pytest

from scripts.devstack.patterns import matches

RECORD = {
    "eventName": "INSERT",
    "dynamodb": {
        "NewImage": {"PK": {"S": "OUTBOX#01J"}, "attempts": {"N": "2"}, "tags": ["a", "b"]},
        "Keys": {"PK": {"S": "OUTBOX#01J"}},
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT", "MODIFY"]}, True),
        ({"eventName": ["REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"PK": {"S": [{"prefix": "OUTBOX#"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"PK": {"S": [{"prefix": "ORDER#"}]}}}}, False),
        ({"dynamodb": {"NewImage": {"PK": {"S": [{"suffix": "01J"}]}}}}, True),
        ({"dynamodb": {"OldImage": [{"exists": False}]}}, True),
        ({"dynamodb": {"NewImage": [{"exists": True}]}}, True),
        ({"dynamodb": {"OldImage": [{"exists": True}]}}, False),
        ({"eventName": [{"anything-but": ["REMOVE"]}]}, True),
        ({"eventName": [{"anything-but": {"prefix": "INS"}}]}, False),
        ({"eventName": [{"equals-ignore-case": "insert"}]}, True),
        ({"eventName": [{"wildcard": "IN*T"}]}, True),
        ({"dynamodb": {"NewImage": {"tags": ["b"]}}}, True),
        ({"$or": [{"eventName": ["REMOVE"]}, {"eventName": ["INSERT"]}]}, True),
        ({"$or": [{"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}]}, False),
        ({"missing": {"deeper": ["x"]}}, False),
    ],
)
def test_a_record_matches_a_pattern_as_eventbridge_would(pattern, expected):
    assert matches(pattern, RECORD) is expected


def test_numeric_ranges_compare_numbers_only():
    pattern = {"n": [{"numeric": [">", 0, "<=", 5]}]}
    assert matches(pattern, {"n": 5})
    assert not matches(pattern, {"n": 6})
    assert not matches(pattern, {"n": "3"})
    assert not matches(pattern, {"n": True})


def test_an_unknown_operator_is_refused_rather_than_ignored():
    with pytest.raises(ValueError, match="unsupported"):
        matches({"eventName": [{"cidr": "10.0.0.0/8"}]}, RECORD)
