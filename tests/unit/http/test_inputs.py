"""The shared input types: addresses as accounts are keyed, ids by their shape."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from admitone.domain.accounts import normalize_email
from admitone.domain.ids import Prefix, id_pattern, new_id
from admitone.http.inputs import EmailAddress

ADDRESS = TypeAdapter(EmailAddress)


@pytest.mark.parametrize(
    "typed",
    [
        "  Ada@Example.COM ",
        "ada+tickets@example.com",
        "organizer@admitone.local",
        chr(0xFF3A) + "oe@example.com",
    ],
)
def test_an_address_comes_out_as_the_domain_keys_it(typed):
    assert ADDRESS.validate_python(typed) == normalize_email(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "a,b@x.com",
        '"a"@x.com',
        "a<b>@x.com",
        "a;b@x.com",
        "Ada <ada@x.com>",
        "ada@localhost",
        "ada@[127.0.0.1]",
        "ada@x.com\r\nBcc: b@x.com",
        "x" * 64 + "@" + "y" * 190 + ".com",
        "",
    ],
)
def test_an_address_mail_cannot_be_sent_to_is_refused(typed):
    with pytest.raises(ValidationError):
        ADDRESS.validate_python(typed)


def test_the_contract_says_email_and_its_length():
    assert ADDRESS.json_schema() == {"type": "string", "format": "email", "maxLength": 254}


def test_an_id_pattern_accepts_the_ids_we_mint_only():

    pattern = re.compile(id_pattern(Prefix.ORDER))
    assert pattern.match(new_id(Prefix.ORDER))
    assert not pattern.match(new_id(Prefix.TICKET))
    assert not pattern.match(new_id(Prefix.ORDER).lower())
