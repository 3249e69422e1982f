"""The composition root: the one place that picks an adapter for each port.

Handlers pass ``ports()`` to the services they call; the bundle is built once per
container (like the clients it wraps, nothing connects until first used), and tests
swap it for fakes (``tests/fakes``) or clear it with the rest of a container's caches.
"""

from __future__ import annotations

from functools import cache

from admitone.adapters.bus import EventBridgeBus
from admitone.adapters.dynamo.store import DynamoStore
from admitone.adapters.mail import SesMail
from admitone.adapters.queues import SqsQueues
from admitone.adapters.stripe_payments import StripePayments
from admitone.ports import Ports


@cache
def ports() -> Ports:
    return Ports(
        store=DynamoStore(),
        payments=StripePayments(),
        mail=SesMail(),
        bus=EventBridgeBus(),
        queues=SqsQueues(),
    )
