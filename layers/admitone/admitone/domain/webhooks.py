"""Organizer webhooks (RULES §7): the Standard Webhooks shape, and which URLs may receive.

- A delivery is a POST of the bus event's JSON with ``webhook-id`` (the domain event's
  id: the same on every retry, so receivers deduplicate), ``webhook-timestamp`` (Unix
  seconds of this attempt) and ``webhook-signature`` = ``v1,`` + base64 HMAC-SHA256,
  keyed by the endpoint secret, over ``"{id}.{timestamp}.{body}"``. A receiver refuses
  timestamps more than 5 minutes away (replays).
- The secret is ``whsec_`` + base64 of 24 random bytes, shown once at creation.
- A URL must be https with a host that resolves only to public addresses: no private,
  loopback, link-local, multicast or reserved targets (SSRF). A stack may allow plain
  http to loopback, for local receivers only.
- Every address the host answers must be public, and the attempt connects to one of
  those addresses (DNS rebinding: a second lookup could answer an internal one). IPv6
  ranges that carry or translate an IPv4 address (NAT64, IPv4-mapped and -compatible,
  6to4, Teredo) are refused whatever they carry: the translator sits inside a network.
- An attempt that gets no HTTP answer is logged with a stable reason (below),
  never with the text of an exception, which can name internal hosts and addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from admitone.domain.errors import FieldError, ValidationFailed

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_SECRET_BYTES = 24
URL_MAX_LENGTH = 2048
DELIVERY_TIMEOUT_SECONDS = 5


# Why an attempt got no HTTP status: its log entry's ``error``.
URL_REFUSED = "url_refused"
UNRESOLVED = "unresolved"
ADDRESS_REFUSED = "address_refused"
CONNECT_FAILED = "connect_failed"
TIMEOUT = "timeout"
TLS_FAILED = "tls_failed"
BAD_RESPONSE = "bad_response"

# Ranges that carry or translate an IPv4 address, or that no receiver lives in;
# ipaddress's is_global lets several of them through (64:ff9b::/96, ::/96, fec0::/10).
_REFUSED_IPV6 = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local use
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2002::/16",  # 6to4
        "fec0::/10",  # site-local (deprecated)
    )
)
# Spaces, controls and DEL: http.client refuses them in a request line.
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")


class WebhookUrlRefused(ValidationFailed):
    code = "WEBHOOK_URL_REFUSED"
    title = "The webhook URL cannot be used"


@dataclass(frozen=True)
class Endpoint:
    id: str
    owner_id: str
    url: str
    events: tuple[str, ...]
    # The signing secret: in clear only in the answer to its creation; as stored, sealed
    # (``ports.envelopes``, ``secret_context``), or in clear for an endpoint created
    # before secrets were sealed (sealed at its next delivery).
    secret: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


def secret_context(endpoint_id: str) -> dict[str, str]:
    """What an endpoint's sealed signing secret is bound to: it opens only as its own."""
    return {"purpose": "webhook-secret", "endpoint": endpoint_id}


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def delivery_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def check_url(url: str, addresses: Sequence[str], *, allow_loopback_http: bool) -> None:
    """Refuse a URL whose scheme or resolved ``addresses`` could reach inside a network."""
    if refusal := url_refusal(url, addresses, allow_loopback_http=allow_loopback_http):
        raise _refused(refusal[1])


def url_refusal(
    url: str, addresses: Sequence[str], *, allow_loopback_http: bool
) -> tuple[str, str] | None:
    """None when ``url`` may receive at ``addresses``; else (a stable reason, why)."""
    parts = urlsplit(url)
    if unsendable := _unsendable(url, parts):
        return unsendable
    loopback = bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    if allow_loopback_http and parts.scheme == "http" and loopback:
        return None
    return _not_public_https(parts, addresses)


def _unsendable(url: str, parts: SplitResult) -> tuple[str, str] | None:
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return URL_REFUSED, "must have a valid port"
    if _UNSENDABLE.search(url):
        return URL_REFUSED, "must not contain spaces or control characters"
    return None


def _not_public_https(parts: SplitResult, addresses: Sequence[str]) -> tuple[str, str] | None:
    if parts.scheme != "https" or not parts.hostname:
        return URL_REFUSED, "must be an https URL"
    if parts.username or parts.password:
        return URL_REFUSED, "must not carry credentials"
    if not addresses:
        return UNRESOLVED, "its host does not resolve"
    if not all(is_public(address) for address in addresses):
        return ADDRESS_REFUSED, "its host resolves to a private or reserved address"
    return None


def is_public(address: str) -> bool:
    """Whether ``address`` is one a receiver on the internet can have."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in _REFUSED_IPV6):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def _refused(why: str) -> WebhookUrlRefused:
    return WebhookUrlRefused(
        f"The URL {why}.", errors=(FieldError("url", why, WebhookUrlRefused.code),)
    )
