"""The gate decision a scanner makes online and offline, and sealed attendee details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.checkin import (
    CHECKIN_OPENS_BEFORE_START,
    Gate,
    GateTicketType,
    ScanResult,
    VoidReason,
    checkin_opens_at,
    judge,
    seal,
    unseal,
)
from admitone.domain.ids import Prefix, new_id
from admitone.domain.keys import KeyPurpose, KeySet, PublicKeyRing, generate_keyset_document
from admitone.domain.tokens import TicketClaims, issue_ticket_token, ticket_token_expiry

STARTS = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)
DURING = STARTS + timedelta(minutes=30)
KEYS = KeySet.from_document(generate_keyset_document(now=STARTS - timedelta(days=30)))
OTHER_KEYS = KeySet.from_document(generate_keyset_document(now=STARTS - timedelta(days=30)))
EVENT_ID = new_id(Prefix.EVENT)
GA = GateTicketType(new_id(Prefix.TICKET_TYPE), "GA", 1)
FESTIVAL = GateTicketType(new_id(Prefix.TICKET_TYPE), "Weekend", 3)


def gate(
    revocations: dict[str, int | None] | None = None, *, event_cancelled: bool = False
) -> Gate:
    return Gate(
        event_id=EVENT_ID,
        checkin_opens_at=checkin_opens_at(STARTS),
        keys=PublicKeyRing.from_jwks(KEYS.public_jwks()),
        ticket_types=(GA, FESTIVAL),
        revocations=revocations or {},
        event_cancelled=event_cancelled,
    )


def token(
    ticket_id: str | None = None,
    *,
    ticket_type: GateTicketType = GA,
    version: int = 1,
    event_id: str = EVENT_ID,
    keys: KeySet = KEYS,
) -> str:
    claims = TicketClaims(
        ticket_id=ticket_id or new_id(Prefix.TICKET),
        event_id=event_id,
        ticket_type_id=ticket_type.id,
        version=version,
        expires_at=ticket_token_expiry(ENDS),
    )
    return issue_ticket_token(claims, keys.signing_key(KeyPurpose.TICKET))


def test_a_valid_unused_ticket_is_admitted_with_its_type_and_scans_left():
    judgement = judge(gate(), token(ticket_type=FESTIVAL), now=DURING, scans_used=1)
    assert judgement.result is ScanResult.ADMITTED
    assert judgement.admits
    assert judgement.ticket_type == FESTIVAL
    assert judgement.scans_left == 1


@pytest.mark.parametrize(("ticket_type", "used"), [(GA, 1), (FESTIVAL, 3), (FESTIVAL, 7)])
def test_a_ticket_out_of_scans_is_already_used(ticket_type: GateTicketType, used: int):
    judgement = judge(gate(), token(ticket_type=ticket_type), now=DURING, scans_used=used)
    assert judgement.result is ScanResult.ALREADY_USED
    assert judgement.scans_left == 0


def test_another_events_ticket_is_wrong_event():
    other = token(event_id=new_id(Prefix.EVENT))
    assert judge(gate(), other, now=DURING, scans_used=0).result is ScanResult.WRONG_EVENT


@pytest.mark.parametrize(
    "text",
    ["", "not a token", "A" * 161, token(keys=OTHER_KEYS), token()[:-3] + "AAA"],
    ids=["empty", "garbage", "too-long", "unknown-key", "tampered"],
)
def test_anything_unverifiable_is_invalid(text: str):
    judgement = judge(gate(), text, now=DURING, scans_used=0)
    assert judgement.result is ScanResult.INVALID
    assert judgement.ticket is None


def test_a_token_of_a_type_the_event_does_not_have_is_invalid():
    stranger = GateTicketType(new_id(Prefix.TICKET_TYPE), "?", 1)
    assert judge(gate(), token(ticket_type=stranger), now=DURING, scans_used=0).result is (
        ScanResult.INVALID
    )


def test_void_and_superseded_tickets_are_void_saying_why():
    ticket_id = new_id(Prefix.TICKET)
    voided = judge(gate({ticket_id: None}), token(ticket_id), now=DURING, scans_used=0)
    assert (voided.result, voided.void_reason) == (ScanResult.VOID, VoidReason.REVOKED)
    reissued = gate({ticket_id: 2})
    old, new = token(ticket_id, version=1), token(ticket_id, version=2)
    superseded = judge(reissued, old, now=DURING, scans_used=0)
    assert (superseded.result, superseded.void_reason) == (ScanResult.VOID, VoidReason.SUPERSEDED)
    current = judge(reissued, new, now=DURING, scans_used=0)
    assert (current.result, current.void_reason) == (ScanResult.ADMITTED, None)


@pytest.mark.parametrize("scans_used", [0, 1], ids=["never-admitted", "admitted-before"])
def test_every_ticket_of_a_cancelled_event_is_void_because_the_event_was_cancelled(scans_used):
    refunded_id = new_id(Prefix.TICKET)
    cancelled = gate({refunded_id: None}, event_cancelled=True)
    # The event's cancellation is the reason given, even for a ticket refunded before it.
    for ticket in (token(ticket_type=FESTIVAL), token(refunded_id)):
        judgement = judge(cancelled, ticket, now=DURING, scans_used=scans_used)
        assert judgement.result is ScanResult.VOID
        assert judgement.void_reason is VoidReason.EVENT_CANCELLED
        assert not judgement.admits


def test_gates_open_six_hours_before_the_start_and_close_a_day_after_the_end():
    opens = STARTS - CHECKIN_OPENS_BEFORE_START
    ticket = token()
    early = judge(gate(), ticket, now=opens - timedelta(seconds=1), scans_used=0)
    assert early.result is ScanResult.NOT_YET_VALID
    assert judge(gate(), ticket, now=opens, scans_used=0).result is ScanResult.ADMITTED
    late = judge(gate(), ticket, now=ENDS + timedelta(days=1), scans_used=0)
    assert late.result is ScanResult.EXPIRED


def test_a_device_decides_from_the_bundle_document_as_the_server_does():
    ticket_id = new_id(Prefix.TICKET)
    bundle = {
        "event": {"id": EVENT_ID, "checkin_opens_at": checkin_opens_at(STARTS).isoformat()},
        "keys": KEYS.public_jwks(),
        "ticket_types": [{"id": t.id, "name": t.name, "max_scans": t.max_scans} for t in (GA,)],
        "revocations": [{"ticket_id": ticket_id, "version": 2}],
    }
    from_bundle = Gate.from_bundle(bundle)
    for text in (token(), token(ticket_id), token(ticket_id, version=2), "junk"):
        assert judge(from_bundle, text, now=DURING, scans_used=0) == judge(
            gate({ticket_id: 2}), text, now=DURING, scans_used=0
        )


def test_sealed_details_open_only_with_the_tickets_own_token():
    ticket, other = token(), token()
    sealed = seal(ticket, {"name": "Ada Lovelace", "code": "TKT-ABC"})
    assert "Ada" not in sealed
    assert unseal(ticket, sealed) == {"name": "Ada Lovelace", "code": "TKT-ABC"}
    assert unseal(other, sealed) is None
    assert unseal(ticket, sealed[:-2] + ("00" if sealed[-2:] != "00" else "11")) is None
    assert unseal(ticket, "not hex") is None
