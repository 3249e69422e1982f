"""Resale escrows in the single table.

Items:
- ``EscrowRecord`` at ``keys.escrow``: ``escrow_id``, ``listing_id``, ``event_id``,
  ``ticket_id``, ``ticket_version``, ``seller_id``, ``buyer_id``, ``buyer_email``, ``amount_cents``,
  ``currency``, ``payment_intent_id``, ``status``, ``created_at``, ``funded_at``,
  ``released_at``, ``cancelled_at``. Created with ``attribute_not_exists``; every move
  is a put conditioned on the status it was read in. GSI3
  ``EVENT_ESCROWS#open#<event>`` / ``<ticket id>#<escrow id>`` while ``created`` or
  ``funded`` (the event's open escrows, a ticket's by prefix), then
  ``EVENT_ESCROWS#released#<event>`` while ``released`` (those a cancellation reverses):
  an escrow leaves the index when it is cancelled or refunded.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.items import (
    InstantAttribute,
    IntegerAttribute,
    TableItem,
    load,
    put_record,
)
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.errors import Conflict
from admitone.domain.resale import Escrow, EscrowMoved, EscrowStatus, Royalties
from admitone.ports.escrows import EscrowChanges, Escrows, Position

_OPEN = frozenset({EscrowStatus.CREATED, EscrowStatus.FUNDED})


class EscrowRecord(TableItem, discriminator="escrow"):
    escrow_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    ticket_version = IntegerAttribute()
    seller_id = UnicodeAttribute()
    buyer_id = UnicodeAttribute()
    buyer_email = UnicodeAttribute()
    amount_cents = IntegerAttribute()
    currency = UnicodeAttribute()
    payment_intent_id = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = InstantAttribute()
    funded_at = InstantAttribute(null=True)
    released_at = InstantAttribute(null=True)
    cancelled_at = InstantAttribute(null=True)
    # The sale's shares in basis points; absent on escrows opened before rates were set
    # per venue and event (they sold at the RULES §13 defaults).
    venue_royalty_bps = IntegerAttribute(null=True)
    artist_royalty_bps = IntegerAttribute(null=True)
    platform_share_bps = IntegerAttribute(null=True)
    counted = BooleanAttribute(null=True)


def _listed_under(escrow: Escrow) -> str | None:
    if escrow.status in _OPEN:
        return keys.open_escrows_of_event(escrow.event_id)
    if escrow.status is EscrowStatus.RELEASED:
        return keys.released_escrows_of_event(escrow.event_id)
    return None


def to_record(escrow: Escrow) -> EscrowRecord:
    partition = _listed_under(escrow)
    return EscrowRecord.at(
        keys.escrow(escrow.id),
        escrow_id=escrow.id,
        listing_id=escrow.listing_id,
        event_id=escrow.event_id,
        ticket_id=escrow.ticket_id,
        ticket_version=escrow.ticket_version,
        seller_id=escrow.seller_id,
        buyer_id=escrow.buyer_id,
        buyer_email=escrow.buyer_email,
        amount_cents=escrow.amount_cents,
        currency=escrow.currency,
        payment_intent_id=escrow.payment_intent_id,
        status=escrow.status.value,
        created_at=escrow.created_at,
        funded_at=escrow.funded_at,
        released_at=escrow.released_at,
        cancelled_at=escrow.cancelled_at,
        venue_royalty_bps=escrow.royalties.venue_bps,
        artist_royalty_bps=escrow.royalties.artist_bps,
        platform_share_bps=escrow.royalties.platform_bps,
        counted=escrow.counted,
        GSI3PK=partition,
        GSI3SK=f"{escrow.ticket_id}#{escrow.id}" if partition else None,
    )


def to_escrow(record: EscrowRecord) -> Escrow:
    return Escrow(
        id=record.escrow_id,
        listing_id=record.listing_id,
        event_id=record.event_id,
        ticket_id=record.ticket_id,
        ticket_version=record.ticket_version,
        seller_id=record.seller_id,
        buyer_id=record.buyer_id,
        buyer_email=record.buyer_email,
        amount_cents=record.amount_cents,
        currency=record.currency,
        payment_intent_id=record.payment_intent_id,
        status=EscrowStatus(record.status),
        created_at=record.created_at,
        funded_at=record.funded_at,
        released_at=record.released_at,
        cancelled_at=record.cancelled_at,
        royalties=_royalties(record),
        counted=bool(record.counted),
    )


def _royalties(record: EscrowRecord) -> Royalties:
    defaults = Royalties()
    return Royalties(
        venue_bps=_or(record.venue_royalty_bps, defaults.venue_bps),
        artist_bps=_or(record.artist_royalty_bps, defaults.artist_bps),
        platform_bps=_or(record.platform_share_bps, defaults.platform_bps),
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


class DynamoEscrows(Escrows):
    def get(self, escrow_id: str) -> Escrow | None:
        record = load(EscrowRecord, keys.escrow(escrow_id), consistent=True)
        return to_escrow(record) if record else None

    def open_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        return _page(keys.open_escrows_of_event(event_id), limit=limit, start=start)

    def released_of_event(
        self, event_id: str, *, limit: int, start: Position | None
    ) -> tuple[list[Escrow], dict[str, str] | None]:
        return _page(keys.released_escrows_of_event(event_id), limit=limit, start=start)

    def open_of_ticket(self, event_id: str, ticket_id: str) -> list[Escrow]:
        found: list[Escrow] = []
        start: dict[str, str] | None = None
        while True:
            page, start = _page(
                keys.open_escrows_of_event(event_id),
                limit=_TICKET_PAGE,
                start=start,
                sort_prefix=f"{ticket_id}#",
            )
            found += page
            if start is None:
                return found


# A ticket has at most a handful of open escrows (one a listing, one listing at a time).
_TICKET_PAGE = 25


def _page(
    partition: str, *, limit: int, start: Position | None, sort_prefix: str | None = None
) -> tuple[list[Escrow], dict[str, str] | None]:
    items, resume = table.index_page(
        "GSI3", partition, limit=limit, start_key=start, sort_prefix=sort_prefix
    )
    # Only escrows live in these index partitions.
    escrows = [to_escrow(EscrowRecord.from_raw(table.to_attributes(item))) for item in items]
    return escrows, resume


class DynamoEscrowChanges(EscrowChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def create(self, escrow: Escrow) -> None:
        self._transaction.stage(
            f"escrow {escrow.id}",
            put_record(to_record(escrow), condition="attribute_not_exists(PK)"),
            error=Conflict("This purchase exists already."),
        )

    def move(self, before: Escrow, after: Escrow) -> None:
        self._transaction.stage(
            f"escrow {after.id}",
            put_record(
                to_record(after),
                condition="#status = :status",
                values={":status": before.status.value},
            ),
            error=EscrowMoved(f"The escrow is no longer {before.status.value}."),
        )
