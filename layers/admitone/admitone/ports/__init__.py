"""Ports: what the services need from the world, said in domain terms.

Services receive a ``Ports`` bundle and speak only to it; ``adapters/`` implement each
port against DynamoDB, Stripe, SES, EventBridge and SQS (composed in
``services/wiring.py``), and ``tests/fakes/`` implement each in memory, checked against
the real adapter by the same behaviour tests (``tests/integration/ports/``). A port
imports the domain and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from admitone.ports.bus import Bus
from admitone.ports.mail import Mail
from admitone.ports.payments import Payments
from admitone.ports.queues import Queues
from admitone.ports.store import Store


@dataclass(frozen=True)
class Ports:
    store: Store
    payments: Payments
    mail: Mail
    bus: Bus
    queues: Queues
