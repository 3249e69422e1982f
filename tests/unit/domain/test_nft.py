"""A ticket's token id: fixed by the ticket, distinct per ticket, and only for tickets; a
mint's priority by the time left before its event; the backoff between attempts; how far
a ticket's NFT has come, and the states its mint goes through."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import InvalidId
from admitone.domain.ids import Prefix, id_from_bytes, new_id
from admitone.domain.nft import (
    REASON_MAX_LENGTH,
    AwaitedMint,
    MintPriority,
    MintState,
    SignedTransaction,
    TicketMint,
    attempt_refused,
    failed,
    followed,
    mint_priority,
    mint_standing,
    minted,
    moving,
    replaced,
    retry_delay,
    sending,
    token_id_for,
)
from admitone.domain.tickets import Ticket, TicketStatus


def test_a_tickets_token_id_is_its_ulid_as_an_integer_and_leads_back_to_the_ticket():
    ticket_id = new_id(Prefix.TICKET)

    token_id = token_id_for(ticket_id)

    assert token_id == token_id_for(ticket_id)
    assert 0 < token_id < 2**128
    assert id_from_bytes(token_id.to_bytes(16), Prefix.TICKET) == ticket_id


def test_two_tickets_never_share_a_token_id():
    tickets = {new_id(Prefix.TICKET) for _ in range(1000)}
    assert len({token_id_for(t) for t in tickets}) == 1000


@pytest.mark.parametrize(
    "not_a_ticket", [id_from_bytes(bytes(range(16)), Prefix.ORDER), "tkt_nope", ""]
)
def test_only_a_ticket_id_has_a_token_id(not_a_ticket: str):
    with pytest.raises(InvalidId):
        token_id_for(not_a_ticket)


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("starts_in", "priority"),
    [
        (timedelta(hours=-1), MintPriority.URGENT),  # already started: wanted at the door now
        (timedelta(hours=23, minutes=59), MintPriority.URGENT),
        (timedelta(hours=24), MintPriority.HIGH),
        (timedelta(days=6, hours=23), MintPriority.HIGH),
        (timedelta(days=7), MintPriority.STANDARD),
        (timedelta(days=90), MintPriority.STANDARD),
    ],
)
def test_a_mints_priority_follows_the_time_left_before_its_event(
    starts_in: timedelta, priority: MintPriority
):
    assert mint_priority(NOW + starts_in, now=NOW) is priority


def test_attempts_back_off_from_5_seconds_doubling():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]


# ------------------------------------------------------------ a ticket's mint
TICKET_ID = new_id(Prefix.TICKET)
TICKET = Ticket(
    id=TICKET_ID,
    code="TKT-ABC",
    order_id="ord_1",
    event_id="evt_1",
    ticket_type_id="tty_ga",
    holder_id="usr_1",
    token="token",
    issued_at=NOW - timedelta(hours=1),
)
HOLDER = "0x" + "a1" * 20
NEW_HOLDER = "0x" + "b2" * 20
QUEUED = TicketMint(
    ticket_id=TICKET_ID,
    order_id="ord_1",
    event_id="evt_1",
    chain="polygon",
    contract="0x" + "c3" * 20,
    token_id=token_id_for(TICKET_ID),
    holder_address=HOLDER,
    state=MintState.QUEUED,
    updated_at=NOW,
)


def transaction(tx_hash: str, nonce: int) -> SignedTransaction:
    return SignedTransaction(
        tx_hash=tx_hash,
        nonce=nonce,
        raw=b"\x02",
        to=QUEUED.contract,
        data="0x",
        gas=90_000,
        max_fee_per_gas=2_000_000_000,
        max_priority_fee_per_gas=1_000_000_000,
    )


def test_a_valid_ticket_of_an_nft_event_is_queued_until_the_worker_records_its_mint():
    assert mint_standing(TICKET, None, nft_enabled=True) == AwaitedMint(
        TICKET_ID, token_id_for(TICKET_ID), since=TICKET.issued_at, state=MintState.QUEUED
    )
    assert mint_standing(TICKET, QUEUED, nft_enabled=True) is QUEUED


@pytest.mark.parametrize(
    ("status", "nft_enabled"),
    [(TicketStatus.VALID, False), (TicketStatus.VOID, True), (TicketStatus.VOID, False)],
)
def test_a_ticket_has_no_nft_without_a_record_unless_valid_and_of_an_nft_event(
    status: TicketStatus, nft_enabled: bool
):
    assert mint_standing(replace(TICKET, status=status), None, nft_enabled=nft_enabled) is None


def test_a_burned_tokens_record_is_shown_even_for_a_void_ticket():
    burned = replace(QUEUED, state=MintState.BURNED)
    void = replace(TICKET, status=TicketStatus.VOID)
    assert mint_standing(void, burned, nft_enabled=True) is burned


def test_each_attempt_records_its_transaction_and_counts_and_clears_the_last_reason():
    first = sending(replace(QUEUED, reason="rpc timeout"), transaction("0xaa", 7), now=NOW)
    assert (first.state, first.attempts, first.tx_hash, first.nonce) == (
        MintState.MINTING,
        1,
        "0xaa",
        7,
    )
    assert first.reason is None
    assert not first.final
    second = sending(first, transaction("0xbb", 9), now=NOW + retry_delay(1))
    assert (second.attempts, second.tx_hash, second.nonce) == (2, "0xbb", 9)
    assert second.updated_at == NOW + timedelta(seconds=5)


def test_a_stuck_transaction_is_replaced_at_its_nonce_within_the_same_attempt():
    stuck = sending(QUEUED, transaction("0xaa", 7), now=NOW)
    later = NOW + timedelta(minutes=3)
    outbid = replaced(stuck, transaction("0xcc", 7), now=later)
    assert (outbid.state, outbid.attempts, outbid.tx_hash, outbid.nonce) == (
        MintState.MINTING,
        1,
        "0xcc",
        7,
    )
    assert outbid.updated_at == later


@pytest.mark.parametrize("mined_hash", ["0xaa", "0xcc"], ids=["original", "replacement"])
def test_a_mint_is_minted_by_whichever_transaction_the_chain_mined(mined_hash: str):
    outbid = replaced(
        sending(QUEUED, transaction("0xaa", 7), now=NOW), transaction("0xcc", 7), now=NOW
    )
    done = minted(outbid, tx_hash=mined_hash, block_number=4242, now=NOW)
    assert (done.state, done.tx_hash, done.block_number, done.reason) == (
        MintState.MINTED,
        mined_hash,
        4242,
        None,
    )
    assert done.final


def test_a_mint_given_up_on_keeps_a_shortened_reason_for_an_operator():
    attempted = sending(QUEUED, transaction("0xaa", 7), now=NOW)
    given_up = failed(attempted, "execution reverted: " + "x" * 1000, now=NOW)
    assert given_up.state is MintState.FAILED
    assert given_up.final
    assert given_up.reason is not None
    assert len(given_up.reason) == REASON_MAX_LENGTH
    assert given_up.reason.startswith("execution reverted: ")
    assert failed(attempted, "nonce too low", now=NOW).reason == "nonce too low"


def test_a_minted_token_follows_its_ticket_to_a_new_holder():
    done = minted(
        sending(QUEUED, transaction("0xaa", 7), now=NOW), tx_hash="0xaa", block_number=1, now=NOW
    )
    sent = moving(done, transaction("0xdd", 8), now=NOW)
    assert (sent.move_tx_hash, sent.holder_address, sent.state) == (
        "0xdd",
        HOLDER,
        MintState.MINTED,
    )
    moved = followed(sent, NEW_HOLDER, now=NOW)
    assert (moved.holder_address, moved.move_tx_hash, moved.state) == (
        NEW_HOLDER,
        None,
        MintState.MINTED,
    )
    assert moved.tx_hash == "0xaa"  # the mint's own transaction is kept


def test_a_minted_token_of_a_void_ticket_is_burned():
    done = minted(
        sending(QUEUED, transaction("0xaa", 7), now=NOW), tx_hash="0xaa", block_number=1, now=NOW
    )
    burning = moving(done, transaction("0xee", 8), now=NOW)
    burned = followed(burning, None, now=NOW + timedelta(minutes=1))
    assert (burned.state, burned.move_tx_hash) == (MintState.BURNED, None)
    assert burned.final
    assert burned.updated_at == NOW + timedelta(minutes=1)


# ------------------------------------------------- stuck transactions replaced
def _transaction(tag: str, nonce: int) -> SignedTransaction:
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


def _minting() -> TicketMint:
    ticket_id = new_id(Prefix.TICKET, now=NOW)
    queued = TicketMint(
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
    return sending(queued, _transaction("1", 7), now=NOW)


def test_a_stuck_mint_and_a_stuck_custody_move_are_replaced_and_counted_alike_in_their_own_fields():
    in_flight = _minting()
    outbid = replaced(in_flight, _transaction("2", 7), now=NOW)
    assert (outbid.in_flight, outbid.tx_hash, outbid.nonce, outbid.attempts) == (
        "0x" + "2" * 64,
        "0x" + "2" * 64,
        7,
        1,
    )
    refused = attempt_refused(outbid, "over the cap", now=NOW)
    assert (refused.attempts_made, refused.attempts, refused.reason) == (2, 2, "over the cap")
    assert refused.in_flight == outbid.tx_hash  # the stuck transaction stays recorded

    done = minted(in_flight, tx_hash=in_flight.tx_hash or "", block_number=3, now=NOW)
    move = moving(done, _transaction("3", 8), now=NOW)
    assert (move.custody, move.in_flight, move.move_attempts, move.attempts_made) == (
        True,
        "0x" + "3" * 64,
        1,
        1,
    )
    outbid_move = replaced(move, _transaction("4", 8), now=NOW)
    # The mint's own transaction and nonce stay as the chain minted them.
    assert (outbid_move.move_tx_hash, outbid_move.tx_hash, outbid_move.nonce) == (
        "0x" + "4" * 64,
        done.tx_hash,
        7,
    )
    refused_move = attempt_refused(outbid_move, "over the cap", now=NOW)
    assert (refused_move.move_attempts, refused_move.attempts) == (2, 1)
    there = followed(refused_move, None, now=NOW)
    assert (there.state, there.move_tx_hash, there.move_attempts, there.reason) == (
        MintState.BURNED,
        None,
        0,
        None,
    )
