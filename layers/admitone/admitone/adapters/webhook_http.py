"""Outbound HTTP for organizer webhooks: resolve a host, POST a delivery.

The standard library on purpose: one POST with a timeout needs no client library in
the layer. Redirects are not followed (a 3xx is a failed attempt): a redirect could
lead past the URL check to an internal address.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def resolve(url: str) -> list[str]:
    """Every address the URL's host resolves to (empty when it does not resolve)."""
    host = urlsplit(url).hostname
    if not host:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def post(url: str, body: str, headers: Mapping[str, str], *, timeout: float) -> int:
    """POST ``body``; the response status (any status, no exception for 4xx/5xx).
    ``OSError`` when nothing answered (refused, timed out, TLS failure)."""
    request = urllib.request.Request(  # noqa: S310 - the URL passed check_url first
        url, data=body.encode(), headers=dict(headers), method="POST"
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
