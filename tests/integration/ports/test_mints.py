"""The mints port: a ticket's mint record is created once and moves on only from the
state it was read in, so two workers on one ticket never both advance it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import Conflict
from admitone.domain.ids import Prefix, new_id
from admitone.domain.nft import (
    MintState,
    SignedTransaction,
    TicketMint,
    attempt_refused,
    failed,
    followed,
    minted,
    moving,
    sending,
    token_id_for,
)
from admitone.ports.store import Store

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=7)


def _queued() -> TicketMint:
    ticket_id = new_id(Prefix.TICKET, now=NOW)
    return TicketMint(
        ticket_id=ticket_id,
        order_id=new_id(Prefix.ORDER, now=NOW),
        event_id=new_id(Prefix.EVENT, now=NOW),
        chain="polygon",
        contract="0x" + "ab" * 20,
        token_id=token_id_for(ticket_id),
        holder_address="0x" + "cd" * 20,
        state=MintState.QUEUED,
        updated_at=NOW,
    )


def _transaction(nonce: int, tag: str = "1") -> SignedTransaction:
    return SignedTransaction(
        tx_hash="0x" + tag * 64,
        nonce=nonce,
        raw=b"\x02",
        to="0x" + "ab" * 20,
        data="0x",
        gas=90_000,
        max_fee_per_gas=2 * 10**9,
        max_priority_fee_per_gas=10**9,
    )


def _record(store: Store, mint: TicketMint, as_read: TicketMint | None) -> None:
    uow = store.unit_of_work()
    uow.mints.record(mint, as_read=as_read)
    uow.commit()


def test_a_record_reads_back_as_written_through_every_state(store: Store):
    queued = _queued()
    _record(store, queued, None)
    assert store.mints.get(queued.ticket_id) == queued

    in_flight = sending(queued, _transaction(4), now=LATER)
    _record(store, in_flight, queued)
    assert store.mints.get(queued.ticket_id) == in_flight
    assert (in_flight.attempts, in_flight.nonce) == (1, 4)

    done = minted(in_flight, tx_hash=in_flight.tx_hash or "", block_number=12, now=LATER)
    _record(store, done, in_flight)
    stored = store.mints.get(queued.ticket_id)
    assert stored == done
    assert stored is not None
    assert stored.token_id == queued.token_id  # 128 bits, kept exactly


def test_a_record_is_created_once(store: Store):
    queued = _queued()
    _record(store, queued, None)
    with pytest.raises(Conflict):
        _record(store, queued, None)


@pytest.mark.parametrize("moved_on", ["another attempt", "minted", "failed"])
def test_a_change_from_a_stale_read_is_refused_and_writes_nothing(store: Store, moved_on: str):
    queued = _queued()
    _record(store, queued, None)
    first = sending(queued, _transaction(1), now=NOW)
    _record(store, first, queued)
    if moved_on == "another attempt":
        newer = sending(first, _transaction(2, "2"), now=LATER)
    elif moved_on == "minted":
        newer = minted(first, tx_hash=first.tx_hash or "", block_number=3, now=LATER)
    else:
        newer = failed(first, "gas", now=LATER)
    _record(store, newer, first)

    with pytest.raises(Conflict):
        _record(store, sending(first, _transaction(9, "9"), now=LATER), first)
    assert store.mints.get(queued.ticket_id) == newer


def test_a_custody_moves_attempts_read_back_and_guard_the_record(store: Store):
    queued = _queued()
    _record(store, queued, None)
    in_flight = sending(queued, _transaction(1), now=NOW)
    _record(store, in_flight, queued)
    done = minted(in_flight, tx_hash=in_flight.tx_hash or "", block_number=3, now=NOW)
    _record(store, done, in_flight)
    moved = moving(done, _transaction(2, "2"), now=LATER)
    _record(store, moved, done)
    refused = attempt_refused(moved, "fee cap", now=LATER)
    _record(store, refused, moved)
    assert store.mints.get(queued.ticket_id) == refused
    assert (refused.attempts, refused.move_attempts, refused.move_tx_hash) == (
        1,
        2,
        "0x" + "2" * 64,
    )

    # A second worker that read the record before the refusal was counted is refused.
    with pytest.raises(Conflict):
        _record(store, attempt_refused(moved, "fee cap", now=LATER), moved)
    there = followed(refused, "0x" + "ef" * 20, now=LATER)
    _record(store, there, refused)
    assert store.mints.get(queued.ticket_id) == there
    assert (there.move_attempts, there.move_tx_hash, there.reason) == (0, None, None)


def test_records_are_read_for_many_tickets_at_once_in_the_order_asked(store: Store):
    mints = [_queued() for _ in range(3)]
    for mint in mints:
        _record(store, mint, None)
    unknown = new_id(Prefix.TICKET)
    asked = [mints[2].ticket_id, unknown, mints[0].ticket_id]
    assert store.mints.of_tickets(asked) == [mints[2], mints[0]]
    assert store.mints.get(unknown) is None
