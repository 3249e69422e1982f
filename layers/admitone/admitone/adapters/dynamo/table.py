"""Low-level access to the single table (health probe; repositories build on models)."""

from __future__ import annotations

from admitone.adapters.aws import client
from admitone.config import settings

_PROBE_KEY = {"PK": {"S": "HEALTH#probe"}, "SK": {"S": "HEALTH#probe"}}


def probe_table() -> None:
    """Raise unless the table answers a keyed read (the item need not exist)."""
    client("dynamodb").get_item(TableName=settings().table_name, Key=_PROBE_KEY)
