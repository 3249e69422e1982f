"""Who may hand a ticket on, what a transfer and a naming change, when registration closes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import ValidationFailed
from admitone.domain.ids import Prefix, new_id
from admitone.domain.keys import KeyPurpose, KeySet, PublicKeyRing, generate_keyset_document
from admitone.domain.tickets import (
    QrWithheld,
    RegistrationClosed,
    Scan,
    Ticket,
    TicketNotTransferable,
    TicketStatus,
    check_recipient,
    check_registration_open,
    check_transferable,
    named,
    next_version_token,
    qr_withheld,
    renaming_reissues,
    transferred,
)
from admitone.domain.tokens import (
    MAX_TICKET_VERSION,
    ticket_token_expiry,
    verify_ticket_token,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ENDS = NOW + timedelta(days=5)
TICKET = Ticket(
    id="tkt_1",
    code="TKT-ABCDEFGHJKLM",
    order_id="ord_1",
    event_id="evt_1",
    ticket_type_id="tty_1",
    holder_id="usr_alice",
    token="TOKEN-V1",
    issued_at=NOW - timedelta(days=1),
)


def transfer_check(ticket: Ticket = TICKET, *, to: str = "bob@example.com", now: datetime = NOW):
    check_transferable(
        ticket, recipient_email=to, holder_email="alice@example.com", event_ends_at=ENDS, now=now
    )


def test_a_valid_unused_ticket_may_be_transferred_before_the_event_ends():
    transfer_check()
    moved = transferred(
        TICKET, to_user_id="usr_bob", email="bob@example.com", name="Bob", token="TOKEN-V2", now=NOW
    )
    assert (moved.holder_id, moved.version, moved.token) == ("usr_bob", 2, "TOKEN-V2")
    assert (moved.attendee_email, moved.attendee_name) == ("bob@example.com", "Bob")
    assert moved.last_changed == NOW
    assert TICKET.last_changed == TICKET.issued_at


@pytest.mark.parametrize(
    ("ticket", "now"),
    [
        (replace(TICKET, status=TicketStatus.VOID), NOW),
        (replace(TICKET, scans=1, first_scan=Scan("scn_1", NOW, "A", "dev_1")), NOW),
        (TICKET, ENDS),
        (replace(TICKET, version=MAX_TICKET_VERSION), NOW),
    ],
    ids=["void", "used", "event-over", "versions-exhausted"],
)
def test_void_used_past_or_exhausted_tickets_stay_put(ticket: Ticket, now: datetime):
    with pytest.raises(TicketNotTransferable):
        transfer_check(ticket, now=now)


def test_a_transfer_to_oneself_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        transfer_check(to="alice@example.com")
    assert [e.field for e in refused.value.errors] == ["email"]


def test_a_transfer_to_ones_own_account_is_refused():
    check_recipient(TICKET, "usr_bob")
    with pytest.raises(ValidationFailed):
        check_recipient(TICKET, TICKET.holder_id)


def test_registration_closes_at_its_deadline():
    check_registration_open(NOW + timedelta(seconds=1), NOW)
    with pytest.raises(RegistrationClosed):
        check_registration_open(NOW, NOW)


def test_naming_someone_new_reissues_only_when_someone_else_was_named():
    assert not renaming_reissues(TICKET, "carol@example.com")
    first = named(TICKET, name="Carol", email="carol@example.com", token=None, now=NOW)
    assert (first.version, first.token, first.attendee_name) == (1, "TOKEN-V1", "Carol")
    assert not renaming_reissues(first, "carol@example.com")
    assert renaming_reissues(first, "dave@example.com")
    second = named(first, name="Dave", email="dave@example.com", token="TOKEN-V2", now=NOW)
    assert (second.version, second.token, second.attendee_email) == (
        2,
        "TOKEN-V2",
        "dave@example.com",
    )


def qr_for(ticket: Ticket, addressee: str, *, mailed_holder_id: str = "usr_alice"):
    holder_email = {"usr_alice": "alice@example.com", "usr_bob": "bob@example.com"}
    return qr_withheld(
        ticket,
        addressee,
        holder_email=holder_email.get(ticket.holder_id),
        mailed_holder_id=mailed_holder_id,
    )


def test_a_qr_is_mailed_to_its_holder_and_to_the_attendee_named_on_its_version():
    assert qr_for(TICKET, "alice@example.com") is None
    assert qr_for(TICKET, " Alice@Example.com") is None
    named_for_carol = named(TICKET, name="Carol", email="carol@example.com", token=None, now=NOW)
    assert qr_for(named_for_carol, "carol@example.com") is None
    assert qr_for(named_for_carol, "alice@example.com") is None


def test_a_transferred_ticket_is_withheld_from_everyone_but_its_new_holder():
    moved = transferred(
        TICKET, to_user_id="usr_bob", email="bob@example.com", name="Bob", token="TOKEN-V2", now=NOW
    )
    assert qr_for(moved, "alice@example.com") is QrWithheld.TRANSFERRED
    assert qr_for(moved, "bob@example.com", mailed_holder_id="usr_bob") is None
    # Bought for Carol, then handed to Bob by the purchaser: Carol's copy goes too.
    for_carol = replace(TICKET, attendee_email="carol@example.com")
    moved_on = transferred(
        for_carol, to_user_id="usr_bob", email="bob@example.com", name=None, token="T2", now=NOW
    )
    assert qr_for(moved_on, "carol@example.com") is QrWithheld.TRANSFERRED


def test_a_renamed_ticket_is_withheld_from_the_attendee_named_before():
    for_carol = named(TICKET, name="Carol", email="carol@example.com", token=None, now=NOW)
    for_dave = named(for_carol, name="Dave", email="dave@example.com", token="TOKEN-V2", now=NOW)
    assert qr_for(for_dave, "carol@example.com") is QrWithheld.REASSIGNED
    assert qr_for(for_dave, "dave@example.com") is None


def test_a_void_ticket_is_withheld_even_from_its_holder():
    assert qr_for(replace(TICKET, status=TicketStatus.VOID), "alice@example.com") is (
        QrWithheld.VOID
    )


def test_the_next_versions_token_verifies_at_the_gate_as_that_version_until_the_event_ends():
    keys = KeySet.from_document(generate_keyset_document(now=NOW))
    gate = PublicKeyRing.from_jwks(keys.public_jwks())
    ticket = replace(
        TICKET,
        id=new_id(Prefix.TICKET, now=NOW),
        event_id=new_id(Prefix.EVENT, now=NOW),
        ticket_type_id=new_id(Prefix.TICKET_TYPE, now=NOW),
        version=3,
    )
    token = next_version_token(ticket, ENDS, keys.signing_key(KeyPurpose.TICKET))
    verified = verify_ticket_token(token, gate, event_id=ticket.event_id, now=NOW)
    assert (verified.ticket_id, verified.version) == (ticket.id, 4)
    assert verified.expires_at == ticket_token_expiry(ENDS)
