"""A ticket's token id: fixed by the ticket, distinct per ticket, and only for tickets; a
mint's priority by the time left before its event; the backoff between attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import InvalidId
from admitone.domain.ids import Prefix, id_from_bytes, new_id
from admitone.domain.nft import MintPriority, mint_priority, retry_delay, token_id_for


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
