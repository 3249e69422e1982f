"""Order numbers without one counter write per order (issue 18): each container claims a
block with one atomic ADD and hands it out in order. Real threads in several
"containers" (one ``DynamoOrderNumbers`` each, as one store per Lambda container) against
moto serialized as DynamoDB is atomic per item."""

from __future__ import annotations

import threading

import pytest

from admitone.adapters.aws import client
from admitone.adapters.dynamo import keys, orders, table
from admitone.adapters.dynamo.orders import DynamoOrderNumbers
from admitone.config import settings
from tests.integration.conftest import AwsStack

YEAR = 2026


@pytest.fixture
def ddb(aws: AwsStack) -> AwsStack:
    aws.use_function("PlaceOrderFunction")
    client("dynamodb")  # one warm container's client and settings, shared by threads
    settings()
    return aws


def counter() -> int:
    item = table.get(keys.order_number_counter(YEAR), consistent=True)
    return 0 if item is None else int(item["sequence"])


def test_a_container_hands_out_its_block_in_order_then_claims_the_next(ddb: AwsStack):
    container = DynamoOrderNumbers(block=5)

    drawn = [container.draw(YEAR) for _ in range(12)]

    assert drawn == list(range(1, 13))
    assert counter() == 15  # three blocks claimed, three numbers not handed out yet
    assert container.draw(YEAR + 1) == 1  # each year its own counter


def test_containers_get_disjoint_blocks_ordered_by_when_they_claimed(ddb: AwsStack):
    first, second = DynamoOrderNumbers(block=10), DynamoOrderNumbers(block=10)

    assert [first.draw(YEAR), second.draw(YEAR), first.draw(YEAR)] == [1, 11, 2]
    # A container that ends now leaves 3..10 and 12..20 unused: gaps, never repeats.
    assert DynamoOrderNumbers(block=10).draw(YEAR) == 21


def test_threads_of_several_containers_never_share_a_number(ddb: AwsStack):
    containers = [DynamoOrderNumbers(block=7) for _ in range(4)]
    threads_per_container, draws_per_thread = 6, 15
    start = threading.Barrier(len(containers) * threads_per_container)
    drawn: dict[tuple[int, int], list[int]] = {}
    failures: list[BaseException] = []

    def run(container: int, thread: int) -> None:
        start.wait()
        try:
            mine = drawn.setdefault((container, thread), [])
            for _ in range(draws_per_thread):
                mine.append(containers[container].draw(YEAR))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(c, t))
        for c in range(len(containers))
        for t in range(threads_per_container)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    every = [number for numbers in drawn.values() for number in numbers]
    assert len(every) == len(containers) * threads_per_container * draws_per_thread
    assert len(set(every)) == len(every)  # unique across threads and containers
    # Within a container numbers only increase: each thread sees its own draws rise.
    assert all(numbers == sorted(numbers) for numbers in drawn.values())
    # No number beyond what was claimed, and no more claimed than the draws needed:
    # one counter write per block, each container wasting less than one block.
    claimed = counter()
    assert max(every) <= claimed
    assert claimed - len(every) < len(containers) * 7


def test_one_claim_is_one_atomic_add_of_the_block(ddb: AwsStack):
    assert orders.claim_order_numbers(YEAR, 100) == range(1, 101)
    assert orders.claim_order_numbers(YEAR, 100) == range(101, 201)
    with pytest.raises(ValueError, match="order numbers"):
        orders.claim_order_numbers(YEAR, 0)
