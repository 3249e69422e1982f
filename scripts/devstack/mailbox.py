"""The mail the local stack's SES (moto) accepted, decoded: sender, recipients, subject,
date, text and HTML bodies, inline images and the links in the text.

moto 5.2.5 keeps two shapes: ``Message`` from ``SendEmail`` (``source``, ``subject``,
``destinations`` as To/Cc/Bcc lists, and ONE ``body``: the HTML if there was one, else
the text; no date) and ``RawMessage`` from ``SendRawEmail`` (``source``,
``destinations`` — the ``Destinations`` parameter followed by the To/Cc/Bcc headers, so
usually twice — and the MIME document as ``raw_data``). Templated sends are skipped:
they carry no body. A moto server shows them in ``GET /moto-api/data.json``, the whole
server's state in one document: every account and region, in the order they were sent.

Read by ``scripts/mail`` and by the tests (tests/mailbox.py).
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

import requests

_URL = re.compile(r"https?://[^\s<>\"']+")
# A link that ends a sentence or sits in brackets: the punctuation is the prose's.
_TRAILING_PUNCTUATION = ".,;:!?)]}"
_UNDATED = datetime.min.replace(tzinfo=UTC)


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
    # The Date header; SendEmail messages have none in moto.
    date: datetime | None = None

    @property
    def links(self) -> tuple[str, ...]:
        """Every absolute URL in the text body (else the HTML's hrefs), each once, in
        order of appearance."""
        if self.text is not None:
            return links_in(self.text)
        if self.html is not None:
            return hrefs_in(self.html)
        return ()


def links_in(text: str) -> tuple[str, ...]:
    """The absolute http(s) URLs in ``text``, each once, without the punctuation of the
    sentence around them."""
    found = (url.rstrip(_TRAILING_PUNCTUATION) for url in _URL.findall(text))
    return tuple(dict.fromkeys(url for url in found if _URL.fullmatch(url)))


def hrefs_in(html: str) -> tuple[str, ...]:
    """The absolute http(s) targets of ``<a href>`` in ``html``, each once."""
    collector = _Hrefs()
    collector.feed(html)
    return tuple(dict.fromkeys(collector.hrefs))


def read_server(moto_url: str, timeout: float = 10) -> list[SentMail]:
    """What a moto server's SES accepted (every account and region): ``SendEmail``
    messages first, then raw ones, each oldest first. Raises ``requests.RequestException``
    when the server does not answer."""
    response = requests.get(f"{moto_url.rstrip('/')}/moto-api/data.json", timeout=timeout)
    response.raise_for_status()
    ses = response.json().get("ses", {})
    simple = [
        from_simple(m["id"], m["source"], m["subject"], m["body"], m["destinations"])
        for m in ses.get("Message", [])
    ]
    raw = [
        from_raw(m["id"], m["source"], m["destinations"], m["raw_data"])
        for m in ses.get("RawMessage", [])
    ]
    return simple + raw


def newest_first(mails: Sequence[SentMail]) -> list[SentMail]:
    """``mails`` (oldest first, as read) newest first: by date, and in reverse order of
    sending among mails of the same second or without a date (those count as oldest)."""
    ranked = sorted(
        enumerate(mails),
        key=lambda pair: (pair[1].date or _UNDATED, pair[0]),
        reverse=True,
    )
    return [mail for _, mail in ranked]


def addressed_to(mails: Iterable[SentMail], address: str) -> list[SentMail]:
    """The mails with ``address`` (case-insensitively) among their recipients."""
    wanted = address.strip().casefold()
    return [mail for mail in mails if any(to.casefold() == wanted for to in mail.to)]


def from_simple(
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


def from_raw(message_id: str, source: str, destinations: list[str], raw_data: str) -> SentMail:
    mime = email.message_from_string(raw_data, policy=default_policy)
    assert isinstance(mime, MimeMessage)  # the default policy's class
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
        date=_date(mime),
    )


def _part(mime: MimeMessage, subtype: str) -> str | None:
    part = mime.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content: Any = part.get_content()
    # SMTP line ends (CRLF) back to the "\n" the message was written with.
    return str(content).replace("\r\n", "\n")


def _date(mime: MimeMessage) -> datetime | None:
    value = mime["Date"]
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    # "-0000" (no zone known) parses naive; compare it as UTC, as SES would.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _unique_addresses(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(address for _, address in getaddresses(list(values)) if address))


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = dict(attrs).get("href")
        if href and _URL.fullmatch(href.strip()):
            self.hrefs.append(href.strip())
