"""In-memory adapters for every port, for service tests that need no moto.

Each fake subclasses its port and keeps the adapter's observable behaviour: the same
behaviour tests (tests/integration/ports/) run against the fake and the real adapter,
so a fake that drifts fails there first.
"""

from __future__ import annotations

from functools import cached_property

from admitone.ports import Ports
from tests.fakes.gateways import FakeBus, FakeMail, FakePayments, FakeQueues
from tests.fakes.store import FakeStore


class FakePorts(Ports):
    @cached_property
    def store(self) -> FakeStore:
        return FakeStore()

    @cached_property
    def payments(self) -> FakePayments:
        return FakePayments()

    @cached_property
    def mail(self) -> FakeMail:
        return FakeMail()

    @cached_property
    def bus(self) -> FakeBus:
        return FakeBus()

    @cached_property
    def queues(self) -> FakeQueues:
        return FakeQueues()


def fake_ports() -> FakePorts:
    return FakePorts()
