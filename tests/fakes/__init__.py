"""In-memory adapters for every port, for service tests that need no moto.

Each fake subclasses its port and keeps the adapter's observable behaviour: the same
behaviour tests (tests/integration/ports/) run against the fake and the real adapter,
so a fake that drifts fails there first.
"""

from __future__ import annotations

from admitone.ports import Ports
from tests.fakes.envelopes import FakeEnvelopes
from tests.fakes.gateways import FakeBus, FakeMail, FakePayments, FakeQueues
from tests.fakes.store import FakeStore


class FakePorts(Ports):
    def __init__(self) -> None:
        self._store = FakeStore()
        self._payments = FakePayments()
        self._mail = FakeMail()
        self._bus = FakeBus()
        self._queues = FakeQueues()
        self._envelopes = FakeEnvelopes()

    @property
    def store(self) -> FakeStore:
        return self._store

    @property
    def payments(self) -> FakePayments:
        return self._payments

    @property
    def mail(self) -> FakeMail:
        return self._mail

    @property
    def bus(self) -> FakeBus:
        return self._bus

    @property
    def queues(self) -> FakeQueues:
        return self._queues

    @property
    def envelopes(self) -> FakeEnvelopes:
        return self._envelopes


def fake_ports() -> FakePorts:
    return FakePorts()
