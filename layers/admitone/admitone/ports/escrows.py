"""Resale escrows: reading them, and the changes to escrows a unit of work stages.

An escrow is created once (its id is new), then moves only from the status it was read
in: of two writers moving one escrow at once (a duplicated webhook, the release job)
exactly one lands.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.resale import Escrow


class Escrows(ABC):
    @abstractmethod
    def get(self, escrow_id: str) -> Escrow | None: ...


class EscrowChanges(ABC):
    @abstractmethod
    def create(self, escrow: Escrow) -> None:
        """Stage a new escrow (``escrow <id>``); the commit raises ``Conflict`` if its
        id exists."""

    @abstractmethod
    def move(self, before: Escrow, after: Escrow) -> None:
        """Stage ``after`` over the stored escrow, only while it is still in
        ``before``'s status; otherwise the commit raises ``EscrowMoved``."""
