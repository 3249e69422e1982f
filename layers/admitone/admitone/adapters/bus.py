"""The EventBridge bus that carries domain events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable
from admitone.ports.bus import Bus

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


class EventBridgeBus(Bus):
    def publish(self, event_type: str, detail: Mapping[str, Any]) -> None:
        try:
            publish(event_type, detail)
        except (BusRejected, ClientError, BotoCoreError) as error:
            # The outbox records this text as the item's last error.
            raise DependencyUnavailable(f"{type(error).__name__}: {error}") from error

    def probe(self) -> None:
        probe_bus()
