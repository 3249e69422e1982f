"""Tickets' NFT mints: reading where each stands, and the changes a unit of work stages.

A mint record changes only from the state it was read in: the write holds while the
stored record still has the state, attempts, holder address and transactions it was read
with (or, for a new record, while there is none), so two workers on the same ticket never
both advance it; the loser's commit raises ``Conflict``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from admitone.domain.nft import MintTerms, TicketMint


class Mints(ABC):
    @abstractmethod
    def get(self, ticket_id: str) -> TicketMint | None: ...

    @abstractmethod
    def of_tickets(self, ticket_ids: Sequence[str]) -> list[TicketMint]:
        """The records of these tickets that exist, in the order asked."""


class MintChanges(ABC):
    @abstractmethod
    def record(self, mint: TicketMint, *, as_read: TicketMint | None) -> None:
        """Stage the ticket's mint record as ``mint``, if it is still ``as_read``."""


class EventMintTerms(ABC):
    @abstractmethod
    def of_event(self, event_id: str) -> MintTerms | None:
        """Whether the event's tickets are NFTs and when it starts; None for no such event."""
