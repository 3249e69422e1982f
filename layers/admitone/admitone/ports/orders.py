"""Orders: reading them, and the changes to orders a unit of work stages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from admitone.domain.orders import Order, OrderStatus


class OrderMovedOn(Exception):
    """The order is no longer as it was read (paid, ended or changed meanwhile): read it
    again and judge it anew."""


class Orders(ABC):
    @abstractmethod
    def get(self, order_id: str) -> Order | None:
        """The order as last written (a strongly consistent read)."""

    @abstractmethod
    def held_past(self, moment: datetime, *, limit: int) -> list[str]:
        """Ids of orders awaiting payment whose hold ended before ``moment``, the longest
        overdue first: the sweeper's work list."""


class OrderChanges(ABC):
    @abstractmethod
    def end_hold(self, order: Order, target: OrderStatus, *, reason: str, now: datetime) -> Order:
        """Stage ``order`` leaving ``pending_payment`` for ``target`` (expired or
        cancelled) with its seats released; returns the order as the commit writes it.
        Only if it is still as it was read (status and version): otherwise the commit
        raises ``OrderMovedOn``."""
