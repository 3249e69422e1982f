"""The EventBridge bus that carries domain events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from admitone.adapters.aws import client
from admitone.config import settings

SOURCE = "admitone"


class BusRejected(Exception):
    """EventBridge took the request but not the event (``FailedEntryCount``)."""


def probe_bus() -> None:
    """Raise unless the bus exists and answers."""
    client("events").describe_event_bus(Name=settings().event_bus_name)


def publish(event_type: str, detail: Mapping[str, Any]) -> None:
    """Put one domain event on the bus (``detail-type`` = its type)."""
    response = client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": event_type,
                "Detail": json.dumps(detail, separators=(",", ":")),
                "EventBusName": settings().event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise BusRejected(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
