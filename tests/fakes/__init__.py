"""In-memory adapters for every port, for service tests that need no moto.

Each fake subclasses its port and keeps the adapter's observable behaviour: the same
behaviour tests (tests/integration/ports/) run against the fake and the real adapter,
so a fake that drifts fails there first.
"""

from __future__ import annotations

from admitone.ports import Ports
from tests.fakes.gateways import FakeBus, FakeMail, FakePayments, FakeQueues
from tests.fakes.store import FakeStore


def fake_ports() -> Ports:
    return Ports(
        store=FakeStore(),
        payments=FakePayments(),
        mail=FakeMail(),
        bus=FakeBus(),
        queues=FakeQueues(),
    )
