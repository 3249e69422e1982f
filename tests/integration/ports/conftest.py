"""Each port's behaviour tests run twice: on the fake (tests/fakes) and on the real
adapter over moto, so the fakes the service tests use cannot drift from the store."""

from __future__ import annotations

import pytest

from admitone.ports.store import Store
from tests.fakes.store import FakeStore


@pytest.fixture(params=["fake", "dynamo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "fake":
        return FakeStore()
    from admitone.adapters.dynamo.store import DynamoStore  # noqa: PLC0415

    request.getfixturevalue("aws").use_function("OutboxDrainFunction")
    return DynamoStore()
