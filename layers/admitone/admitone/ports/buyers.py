"""A buyer's standing for an event (RULES §11): the tickets they hold or own there,
counted against the per-buyer limit."""

from __future__ import annotations

from abc import ABC, abstractmethod


class StandingChanges(ABC):
    @abstractmethod
    def give_back(self, buyer_id: str, event_id: str, quantity: int) -> None:
        """Stage ``quantity`` tickets returned to the buyer's allowance (a hold ended
        unpaid). Fewer counted than that is a bug: the commit raises ``ChangeRefused``."""
