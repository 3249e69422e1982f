"""The escrows port: an escrow is created once, reads back as written, and moves only
from the status it was read in, so of two writers moving it at once exactly one lands."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import Conflict, Contention
from admitone.domain.ids import Prefix, new_id
from admitone.domain.resale import Escrow, EscrowMoved, EscrowStatus, escrow_moved
from admitone.ports.store import Store

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


def _escrow() -> Escrow:
    return Escrow(
        id=new_id(Prefix.ESCROW, now=NOW),
        listing_id=new_id(Prefix.RESALE_LISTING, now=NOW),
        event_id=new_id(Prefix.EVENT, now=NOW),
        ticket_id=new_id(Prefix.TICKET, now=NOW),
        ticket_version=2,
        seller_id=new_id(Prefix.USER, now=NOW),
        buyer_id=new_id(Prefix.USER, now=NOW),
        buyer_email="buyer@example.com",
        amount_cents=15000,
        currency="USD",
        payment_intent_id="pi_123",
        created_at=NOW,
    )


def _create(store: Store, escrow: Escrow) -> None:
    uow = store.unit_of_work()
    uow.escrows.create(escrow)
    uow.commit()


def _move(store: Store, before: Escrow, after: Escrow) -> None:
    uow = store.unit_of_work()
    uow.escrows.move(before, after)
    uow.commit()


def test_an_escrow_reads_back_as_created_and_is_created_once(store: Store):
    escrow = _escrow()
    assert store.escrows.get(escrow.id) is None

    _create(store, escrow)

    assert store.escrows.get(escrow.id) == escrow
    with pytest.raises(Conflict):
        _create(store, replace(escrow, amount_cents=1))
    assert store.escrows.get(escrow.id) == escrow


def test_an_escrow_moves_from_the_status_it_was_read_in_only(store: Store):
    escrow = _escrow()
    _create(store, escrow)
    funded = escrow_moved(escrow, EscrowStatus.FUNDED, now=LATER)

    _move(store, escrow, funded)

    assert store.escrows.get(escrow.id) == funded
    stale = escrow_moved(escrow, EscrowStatus.CANCELLED, now=LATER)
    with pytest.raises(EscrowMoved):
        _move(store, escrow, stale)  # read as created; it is funded now
    assert store.escrows.get(escrow.id) == funded
    with pytest.raises(EscrowMoved):
        _move(store, _escrow(), funded)  # no such escrow stored under that status


def test_of_two_writers_moving_one_escrow_exactly_one_lands(store: Store):
    escrow = _escrow()
    _create(store, escrow)
    targets = [EscrowStatus.FUNDED, EscrowStatus.CANCELLED]
    landed: list[EscrowStatus] = []
    refused: list[Exception] = []
    barrier = threading.Barrier(len(targets))

    def move(target: EscrowStatus) -> None:
        barrier.wait()
        try:
            _move(store, escrow, escrow_moved(escrow, target, now=LATER))
            landed.append(target)
        except (EscrowMoved, Contention) as error:
            refused.append(error)

    threads = [threading.Thread(target=move, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(landed) == 1, (landed, refused)
    assert len(refused) == 1
    stored = store.escrows.get(escrow.id)
    assert stored is not None
    assert stored.status is landed[0]
