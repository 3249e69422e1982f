"""A ticket's token id: fixed by the ticket, distinct per ticket, and only for tickets."""

from __future__ import annotations

import pytest

from admitone.domain.errors import InvalidId
from admitone.domain.ids import Prefix, id_from_bytes, new_id
from admitone.domain.nft import token_id_for


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
