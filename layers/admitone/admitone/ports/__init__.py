"""Ports: what the services need from the world, said in domain terms.

Services receive a ``Ports`` bundle and speak only to it; ``adapters/`` implement each
port against DynamoDB, Stripe, SES, EventBridge and SQS (composed in
``services/wiring.py``), and ``tests/fakes/`` implement each in memory, checked against
the real adapter by the same behaviour tests (``tests/integration/ports/``). A port
imports the domain and nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

# For the annotations only: a function that imports one port (say ``ports.staging``)
# does not load every other port and the domain modules they speak in.
if TYPE_CHECKING:
    from admitone.ports.bus import Bus
    from admitone.ports.envelopes import Envelopes
    from admitone.ports.mail import Mail
    from admitone.ports.payments import Payments
    from admitone.ports.queues import Queues
    from admitone.ports.store import Store


class Ports(ABC):
    # Read-only, so that the composition root may build each adapter on first use (a
    # function pays at cold start only for the ones it touches).
    @property
    @abstractmethod
    def store(self) -> Store: ...

    @property
    @abstractmethod
    def payments(self) -> Payments: ...

    @property
    @abstractmethod
    def mail(self) -> Mail: ...

    @property
    @abstractmethod
    def bus(self) -> Bus: ...

    @property
    @abstractmethod
    def queues(self) -> Queues: ...

    @property
    @abstractmethod
    def envelopes(self) -> Envelopes: ...
