"""Orders: reading them, their numbers, and the changes to orders and to a buyer's
standing for an event (the per-buyer limit and the purchase cooldown) a unit of work
stages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime

from admitone.domain.inventory import Allocation
from admitone.domain.orders import BuyerStanding, Order, OrderStatus, PaymentStatus
from admitone.ports.staging import Staged


class Orders(ABC):
    @abstractmethod
    def get(self, order_id: str, *, consistent: bool = True) -> Order | None: ...

    @abstractmethod
    def page_of_buyer(
        self, buyer_id: str, *, limit: int, start_key: Mapping[str, str] | None
    ) -> tuple[list[Order], dict[str, str] | None]:
        """One page of a buyer's orders, newest first, and the position after it."""

    @abstractmethod
    def held_past(self, moment: datetime, *, limit: int) -> list[str]:
        """Ids of pending orders whose hold ended before ``moment``, oldest first."""

    @abstractmethod
    def standing(self, buyer_id: str, event_id: str) -> BuyerStanding:
        """What the buyer has of the event (nothing yet: an empty standing)."""


class OrderNumbers(ABC):
    @abstractmethod
    def draw(self, year: int) -> int:
        """A number of ``year`` (from 1) no other draw anywhere gets, spent whether or not
        an order gets it: an order that is not placed leaves a gap, never a repeat.
        Increasing within one container (one store); across containers only roughly
        ordered (README, "Order numbers")."""


class OrderChanges(ABC):
    """Each write is staged under the name ``order <id>``; refused, it hands back the
    ``Order`` as it was."""

    @abstractmethod
    def place(self, order: Order) -> Staged[Order]:
        """A new order; refused if its id exists."""

    @abstractmethod
    def transition(
        self,
        order: Order,
        target: OrderStatus,
        *,
        now: datetime,
        release_hold: bool = False,
        reason: str | None = None,
        ticket_ids: Sequence[str] = (),
        payment_status: PaymentStatus | None = None,
        allocation: Allocation | None = None,
    ) -> Staged[Order]:
        """Move ``order`` from the status and version it was read in to ``target``
        (version + 1). Refused if either moved meanwhile, so of two concurrent writers
        (a sweeper and a webhook) exactly one lands. ``release_hold`` marks its seats
        returned; leaving ``pending_payment`` takes it off the sweeper's work list."""

    @abstractmethod
    def list_as_paid(self, order: Order) -> Staged[None]:
        """Put the order on its event's list of paid orders (what cancelling the event
        refunds). Not refused by itself (the table's list spreads an event's paid orders
        over shards taken in turn, so its entries cannot be found by the order): stage it
        with the order's move to paid, which a second time is refused, and the order is
        listed once."""


class BuyerStandingChanges(ABC):
    """Each write is staged under ``standing <buyer> <event>``; refused, it hands back
    the ``BuyerStanding`` as it was."""

    @abstractmethod
    def take(self, order: Order, *, limit: int, now: datetime) -> Staged[BuyerStanding]:
        """Count the order's tickets against the buyer's ``limit`` for its event, refused
        if that would exceed it or the buyer is cooling down at ``now``."""

    @abstractmethod
    def take_tickets(
        self, buyer_id: str, event_id: str, quantity: int, *, limit: int, now: datetime
    ) -> Staged[BuyerStanding]:
        """As ``take``, for tickets that come to the buyer another way than an order (a
        resale purchase)."""

    @abstractmethod
    def give_back(self, buyer_id: str, event_id: str, quantity: int) -> Staged[BuyerStanding]:
        """Give back ``quantity`` of the allowance (a hold ended unpaid); refused if the
        standing counts fewer."""

    @abstractmethod
    def cool_down(self, buyer_id: str, event_id: str, until: datetime) -> Staged[BuyerStanding]:
        """Start the buyer's purchase cooldown for the event (an order was paid)."""

    @abstractmethod
    def retake(
        self, buyer_id: str, event_id: str, quantity: int, *, cooldown_until: datetime
    ) -> Staged[BuyerStanding]:
        """Count ``quantity`` again, unconditionally (a late payment re-took seats the
        buyer already paid for), and start the cooldown."""
