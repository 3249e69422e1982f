"""Tickets' NFT mint records in the single table.

Item (``keys.ticket_mint``, beside its ticket): ``entity = ticket_mint``, ``ticket_id``,
``order_id``, ``event_id``, ``chain``, ``contract``, ``token_id`` (decimal text: a 128-bit
integer needs 39 digits, one more than a DynamoDB number keeps), ``holder_address``,
``state``, ``priority``, ``attempts``, ``tx_hash``, ``nonce``, ``block_number``, ``reason``,
``move_tx_hash``, ``move_attempts`` (absent on records written before it: 0),
``updated_at``. Apart from the ticket's own item, so that a
transfer rewriting the ticket never overwrites a mint's progress, nor the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from admitone.adapters.dynamo import catalog, keys, table
from admitone.adapters.dynamo.table import Item, instant, put_op
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.errors import Conflict
from admitone.domain.nft import MintPriority, MintState, MintTerms, TicketMint
from admitone.ports.mints import EventMintTerms, MintChanges, Mints

ENTITY = "ticket_mint"


def to_item(mint: TicketMint) -> Item:
    return {
        **keys.ticket_mint(mint.ticket_id),
        "entity": ENTITY,
        "ticket_id": mint.ticket_id,
        "order_id": mint.order_id,
        "event_id": mint.event_id,
        "chain": mint.chain,
        "contract": mint.contract,
        "token_id": str(mint.token_id),
        "holder_address": mint.holder_address,
        "state": mint.state.value,
        "priority": mint.priority.value,
        "attempts": mint.attempts,
        "tx_hash": mint.tx_hash,
        "nonce": mint.nonce,
        "block_number": mint.block_number,
        "reason": mint.reason,
        "move_tx_hash": mint.move_tx_hash,
        "move_attempts": mint.move_attempts,
        "updated_at": instant(mint.updated_at),
    }


def to_mint(item: Mapping[str, Any]) -> TicketMint:
    return TicketMint(
        ticket_id=item["ticket_id"],
        order_id=item["order_id"],
        event_id=item["event_id"],
        chain=item["chain"],
        contract=item["contract"],
        token_id=int(item["token_id"]),
        holder_address=item["holder_address"],
        state=MintState(item["state"]),
        priority=MintPriority(item["priority"]),
        attempts=int(item["attempts"]),
        tx_hash=item.get("tx_hash"),
        nonce=item.get("nonce"),
        block_number=item.get("block_number"),
        reason=item.get("reason"),
        move_tx_hash=item.get("move_tx_hash"),
        move_attempts=int(item.get("move_attempts", 0)),
        updated_at=datetime.fromisoformat(item["updated_at"]),
    )


def record_op(mint: TicketMint, *, as_read: TicketMint | None) -> dict[str, Any]:
    """A Put of the record that holds only if the stored one is still as read."""
    if as_read is None:
        return put_op(to_item(mint), condition="attribute_not_exists(PK)")
    condition = "#state = :state AND attempts = :attempts AND holder_address = :holder"
    values: dict[str, Any] = {
        ":state": as_read.state.value,
        ":attempts": as_read.attempts,
        ":holder": as_read.holder_address,
    }
    for attribute, value in (("tx_hash", as_read.tx_hash), ("move_tx_hash", as_read.move_tx_hash)):
        if value is None:
            condition += f" AND attribute_not_exists({attribute})"
        else:
            condition += f" AND {attribute} = :{attribute}"
            values[f":{attribute}"] = value
    values[":move_attempts"] = as_read.move_attempts
    if as_read.move_attempts == 0:
        condition += " AND (attribute_not_exists(move_attempts) OR move_attempts = :move_attempts)"
    else:
        condition += " AND move_attempts = :move_attempts"
    return put_op(to_item(mint), condition=condition, values=values, names={"#state": "state"})


class DynamoMints(Mints):
    def get(self, ticket_id: str) -> TicketMint | None:
        item = table.get(keys.ticket_mint(ticket_id), consistent=True)
        return to_mint(item) if item else None

    def of_tickets(self, ticket_ids: Sequence[str]) -> list[TicketMint]:
        items = table.get_many([keys.ticket_mint(t) for t in dict.fromkeys(ticket_ids)])
        found = {mint.ticket_id: mint for mint in map(to_mint, items)}
        return [found[t] for t in ticket_ids if t in found]


class DynamoMintChanges(MintChanges):
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction

    def record(self, mint: TicketMint, *, as_read: TicketMint | None) -> None:
        self._transaction.stage(
            f"mint {mint.ticket_id}",
            record_op(mint, as_read=as_read),
            error=Conflict("The ticket's mint moved on meanwhile; read it again."),
        )


class DynamoEventMintTerms(EventMintTerms):
    def of_event(self, event_id: str) -> MintTerms | None:
        event = catalog.get_event(event_id)
        if event is None:
            return None
        return MintTerms(nft_enabled=event.nft_enabled, starts_at=event.starts_at)
