"""The event bus that carries published domain events to their consumers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any


class Bus(ABC):
    @abstractmethod
    def publish(self, event_type: str, detail: Mapping[str, Any]) -> None:
        """Put one event on the bus. ``DependencyUnavailable`` when the bus cannot be
        reached or does not take it: the outbox tries again later."""

    @abstractmethod
    def probe(self) -> None:
        """Raise unless the bus answers (the deep health check)."""
