"""The tickets port: voiding or reissuing a ticket in a unit of work, only as it was read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import Conflict
from admitone.domain.events import OrderEnded
from admitone.domain.ids import Prefix, new_id
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from tests.fakes.store import FakeStore

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def _given(store: Store, **changes: object) -> Ticket:
    """A ticket as issuing stores it (issuing is not on the port yet)."""
    ticket = replace(
        Ticket(
            id=new_id(Prefix.TICKET, now=NOW),
            code="ABCD-2345",
            order_id=new_id(Prefix.ORDER, now=NOW),
            event_id=new_id(Prefix.EVENT, now=NOW),
            ticket_type_id=new_id(Prefix.TICKET_TYPE, now=NOW),
            holder_id=new_id(Prefix.USER, now=NOW),
            token="signed-token",
            issued_at=NOW,
            changed_at=NOW,
        ),
        **changes,
    )
    if isinstance(store, FakeStore):
        store.tickets.add(ticket)
    else:
        from admitone.adapters.dynamo import table  # noqa: PLC0415
        from admitone.adapters.dynamo import tickets as ticket_store  # noqa: PLC0415

        table.transact([ticket_store.new_ticket_op(ticket)])
    return ticket


def test_a_void_lands_only_with_its_commit(store: Store):
    ticket = _given(store)
    uow = store.unit_of_work()
    uow.tickets.void(ticket, now=LATER)
    assert store.tickets.get(ticket.id) == ticket
    uow.commit()
    voided = store.tickets.get(ticket.id)
    assert voided is not None
    assert (voided.status, voided.changed_at, voided.version) == (TicketStatus.VOID, LATER, 1)


@pytest.mark.parametrize(
    "stored",
    [{"version": 2}, {"scans": 1}, {"status": TicketStatus.VOID}],
    ids=["reissued", "admitted", "already-void"],
)
def test_a_ticket_changed_since_it_was_read_is_not_voided_and_nothing_lands(
    store: Store, stored: dict[str, object]
):
    ticket = _given(store, **stored)
    as_read = replace(ticket, version=1, scans=0, status=TicketStatus.VALID)
    uow = store.unit_of_work()
    uow.tickets.void(as_read, now=LATER)
    item_id = uow.outbox.announce(
        "order.expired", OrderEnded(order_id="ord_1", event_id="evt_1", reason="x"), now=NOW
    )
    with pytest.raises(Conflict):
        uow.commit()
    assert store.tickets.get(ticket.id) == ticket
    assert store.outbox.get(item_id) is None


def test_an_issued_ticket_lands_with_its_commit_once_and_reads_back_by_id(store: Store):
    ticket = Ticket(
        id=new_id(Prefix.TICKET, now=NOW),
        code="WXYZ-6789",
        order_id=new_id(Prefix.ORDER, now=NOW),
        event_id=new_id(Prefix.EVENT, now=NOW),
        ticket_type_id=new_id(Prefix.TICKET_TYPE, now=NOW),
        holder_id=new_id(Prefix.USER, now=NOW),
        token="signed-token",
        issued_at=NOW,
        changed_at=NOW,
    )
    uow = store.unit_of_work()
    uow.tickets.issue(ticket)
    assert store.tickets.by_ids([ticket.id]) == []
    uow.commit()
    assert store.tickets.by_ids(["tkt_missing", ticket.id]) == [ticket]

    again = store.unit_of_work()
    staged = again.tickets.issue(replace(ticket, holder_id="usr_other"))
    with pytest.raises(ChangeRefused) as refused:
        again.commit()
    assert refused.value.as_was(staged) == ticket


def test_a_reissue_moves_the_ticket_on_once_only_as_it_was_read(store: Store):
    ticket = _given(store)
    moved = replace(
        ticket,
        holder_id="usr_buyer",
        version=2,
        token="next-token",
        attendee_email="buyer@example.com",
        changed_at=LATER,
    )
    uow = store.unit_of_work()
    uow.tickets.reissue(ticket, moved)
    assert store.tickets.get(ticket.id) == ticket
    uow.commit()
    assert store.tickets.get(ticket.id) == moved
    uow = store.unit_of_work()
    uow.tickets.reissue(ticket, replace(moved, holder_id="usr_someone_else"))
    with pytest.raises(Conflict):
        uow.commit()  # read at version 1; it is at 2 now
    assert store.tickets.get(ticket.id) == moved
