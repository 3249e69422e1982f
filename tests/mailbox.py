"""The mail moto's SES accepted, read back in-process or from a moto server.

moto 5.2.5 keeps two shapes: ``Message`` from ``SendEmail`` (``source``, ``subject``,
``destinations`` as To/Cc/Bcc lists, and ONE ``body``: the HTML if there was one, else
the text) and ``RawMessage`` from ``SendRawEmail`` (``source``, ``destinations`` — the
``Destinations`` parameter followed by the To/Cc/Bcc headers, so usually twice — and
the MIME document as ``raw_data``). Templated sends are skipped: they carry no body.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

import requests
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message, RawMessage, ses_backends

_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class SentMail:
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    # None when the message had no such part (or, for SendEmail, moto dropped it).
    text: str | None
    html: str | None
    # Inline images (multipart/related), by Content-ID without the angle brackets.
    images: Mapping[str, bytes] = field(default_factory=dict)


def sent_in_process(
    region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
) -> list[SentMail]:
    """What SES accepted in this process's ``mock_aws``, oldest first."""
    mails: list[SentMail] = []
    for sent in ses_backends[account_id][region].sent_messages:
        if isinstance(sent, RawMessage):
            mails.append(_from_raw(sent.id, sent.source, sent.destinations, sent.raw_data))
        elif isinstance(sent, Message):
            mails.append(
                _from_simple(sent.id, sent.source, sent.subject, sent.body, sent.destinations)
            )
    return mails


def sent_on_server(moto_url: str) -> list[SentMail]:
    """What a moto server's SES accepted (every account and region): ``SendEmail``
    messages first, then raw ones, each oldest first."""
    response = requests.get(f"{moto_url.rstrip('/')}/moto-api/data.json", timeout=10)
    response.raise_for_status()
    ses = response.json().get("ses", {})
    simple = [
        _from_simple(m["id"], m["source"], m["subject"], m["body"], m["destinations"])
        for m in ses.get("Message", [])
    ]
    raw = [
        _from_raw(m["id"], m["source"], m["destinations"], m["raw_data"])
        for m in ses.get("RawMessage", [])
    ]
    return simple + raw


def find_link(mail: SentMail, pattern: str) -> str:
    """The one absolute URL in ``mail``'s text body that the regex ``pattern`` matches
    somewhere in; fails the test when there is none or there are several."""
    assert mail.text is not None, "the mail has no text body"
    found: list[str] = _URL.findall(mail.text)
    links = dict.fromkeys(url for url in found if re.search(pattern, url))
    assert len(links) == 1, f"expected one link matching {pattern!r}, found {list(links)}"
    return next(iter(links))


def _from_simple(
    message_id: str,
    source: str,
    subject: str,
    body: str,
    destinations: Mapping[str, list[str]],
) -> SentMail:
    addresses = [
        address
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in destinations.get(kind, [])
    ]
    is_html = body.lstrip()[:1] == "<"
    return SentMail(
        message_id=message_id,
        sender=source,
        to=_unique_addresses(addresses),
        subject=subject,
        text=None if is_html else body,
        html=body if is_html else None,
    )


def _from_raw(message_id: str, source: str, destinations: list[str], raw_data: str) -> SentMail:
    mime = email.message_from_string(raw_data, policy=default_policy)
    assert isinstance(mime, MimeMessage)
    return SentMail(
        message_id=message_id,
        sender=source,
        to=_unique_addresses(destinations),
        subject=str(mime["Subject"] or ""),
        text=_part(mime, "plain"),
        html=_part(mime, "html"),
        images={
            str(part["Content-ID"]).strip("<>"): part.get_content()
            for part in mime.walk()
            if part.get_content_maintype() == "image"
        },
    )


def _part(mime: MimeMessage, subtype: str) -> str | None:
    part = mime.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content: Any = part.get_content()
    # SMTP line ends (CRLF) back to the "\n" the message was written with.
    return str(content).replace("\r\n", "\n")


def _unique_addresses(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(address for _, address in getaddresses(list(values)) if address))
