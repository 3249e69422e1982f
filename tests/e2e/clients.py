"""HTTP clients that connect from a chosen loopback address (scripts/devstack/loopback.py)."""

from __future__ import annotations

from scripts.devstack.loopback import client_from

__all__ = ["client_from"]
