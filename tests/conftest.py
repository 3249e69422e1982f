"""Shared by every tier: where the repository and the sample events are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def new_container() -> None:
    """Forget what a warm Lambda container caches: settings, clients, secrets, ports."""
    from admitone.adapters.aws import client, session  # noqa: PLC0415

    next_function()
    client.cache_clear()
    session.cache_clear()


def next_function() -> None:
    """Forget what a warm container caches from its function's settings (tables, queues,
    keys, secrets, ports), keeping the AWS session and clients.

    Those are built from the region, endpoint and credentials alone, which every
    function of one stack shares, so another function's container would build the very
    same; building them again for every invocation was a third of the integration tier's
    CPU."""
    from admitone.adapters.dynamo.catalog import recent_venues  # noqa: PLC0415
    from admitone.adapters.secrets import secrets_provider  # noqa: PLC0415
    from admitone.adapters.stripe_api import stripe_client  # noqa: PLC0415
    from admitone.config import chain_settings, settings  # noqa: PLC0415
    from admitone.services.wiring import chain, ports  # noqa: PLC0415

    for cached in (settings, chain_settings, secrets_provider, stripe_client, ports, chain):
        cached.cache_clear()
    recent_venues.cache_clear()


def sample_event(stem: str, scenario: str) -> dict[str, Any]:
    """events/<stem>.<scenario>.json, e.g. sample_event("system.health", "ok")."""
    return json.loads((EVENTS / f"{stem}.{scenario}.json").read_text())
