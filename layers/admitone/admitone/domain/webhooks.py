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
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from admitone.domain.errors import FieldError, ValidationFailed

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_SECRET_BYTES = 24
URL_MAX_LENGTH = 2048
DELIVERY_TIMEOUT_SECONDS = 5


class WebhookUrlRefused(ValidationFailed):
    code = "WEBHOOK_URL_REFUSED"
    title = "The webhook URL cannot be used"


@dataclass(frozen=True)
class Endpoint:
    id: str
    owner_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


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
    parts = urlsplit(url)
    loopback = bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    if allow_loopback_http and parts.scheme == "http" and loopback:
        return
    if parts.scheme != "https" or not parts.hostname:
        raise _refused("must be an https URL")
    if parts.username or parts.password:
        raise _refused("must not carry credentials")
    if not addresses:
        raise _refused("its host does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global or ip.is_multicast:
            raise _refused("its host resolves to a private or reserved address")


def _refused(why: str) -> WebhookUrlRefused:
    return WebhookUrlRefused(
        f"The URL {why}.", errors=(FieldError("url", why, WebhookUrlRefused.code),)
    )
