"""The mail moto's SES accepted, read back in-process or from a moto server.

The decoding lives in scripts/devstack/mailbox.py (``scripts/mail`` reads it too); this
module adds the in-process read (moto's backend in this test process) and the test
assertion ``find_link``.
"""

from __future__ import annotations

import re

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message, RawMessage, ses_backends

from scripts.devstack.mailbox import SentMail, from_raw, from_simple, read_server

__all__ = ["SentMail", "find_link", "sent_in_process", "sent_on_server"]


def sent_in_process(
    region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
) -> list[SentMail]:
    """What SES accepted in this process's ``mock_aws``, oldest first."""
    mails: list[SentMail] = []
    for sent in ses_backends[account_id][region].sent_messages:
        if isinstance(sent, RawMessage):
            mails.append(from_raw(sent.id, sent.source, sent.destinations, sent.raw_data))
        elif isinstance(sent, Message):
            mails.append(
                from_simple(sent.id, sent.source, sent.subject, sent.body, sent.destinations)
            )
    return mails


def sent_on_server(moto_url: str) -> list[SentMail]:
    """What a moto server's SES accepted (every account and region): ``SendEmail``
    messages first, then raw ones, each oldest first."""
    return read_server(moto_url)


def find_link(mail: SentMail, pattern: str) -> str:
    """The one absolute URL in ``mail``'s text body that the regex ``pattern`` matches
    somewhere in; fails the test when there is none or there are several."""
    assert mail.text is not None, "the mail has no text body"
    links = [url for url in mail.links if re.search(pattern, url)]
    assert len(links) == 1, f"expected one link matching {pattern!r}, found {links}"
    return links[0]
