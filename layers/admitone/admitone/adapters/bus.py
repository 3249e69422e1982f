"""The EventBridge bus that carries domain events."""

from __future__ import annotations

from admitone.adapters.aws import client
from admitone.config import settings


def probe_bus() -> None:
    """Raise unless the bus exists and answers."""
    client("events").describe_event_bus(Name=settings().event_bus_name)
