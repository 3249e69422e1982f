"""Shared by every tier: where the repository and the sample events are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def sample_event(stem: str, scenario: str) -> dict[str, Any]:
    """events/<stem>.<scenario>.json, e.g. sample_event("system.health", "ok")."""
    return json.loads((EVENTS / f"{stem}.{scenario}.json").read_text())
