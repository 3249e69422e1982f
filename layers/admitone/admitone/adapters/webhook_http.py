"""Outbound HTTP for organizer webhooks: resolve a host once, POST to an address checked.

The standard library on purpose: one POST with a timeout needs no client library in
the layer. ``post`` never resolves the host again: it connects to one of the addresses
it is given (those the caller checked: a second lookup could answer an internal address,
DNS rebinding), sends the host name in ``Host`` and, for https, in SNI, and verifies the
certificate against the name with the default trust store. Redirects are not followed
(http.client does not; a 3xx is a failed attempt): a redirect could lead past the check.
The timeout bounds the whole attempt (connect, TLS, send, the answer's head), so a
receiver dripping bytes cannot hold it. Failures raise ``DeliveryFailed`` with a stable
reason: the exception's text can name internal hosts, and is not passed on.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from admitone.domain.webhooks import BAD_RESPONSE, CONNECT_FAILED, TIMEOUT, TLS_FAILED


class DeliveryFailed(Exception):
    """An attempt that got no HTTP status; ``reason`` is one of domain/webhooks' reasons."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve(url: str) -> list[str]:
    """Every address the URL's host resolves to, in the resolver's order (empty when it
    does not resolve)."""
    host = urlsplit(url).hostname
    if not host:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def post(
    url: str, addresses: Sequence[str], body: str, headers: Mapping[str, str], *, timeout: float
) -> int:
    """POST ``body`` to ``url``'s host at one of ``addresses`` (tried in order); the
    response status (any status: 4xx/5xx are answers too). ``DeliveryFailed`` otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    deadline = time.monotonic() + timeout
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPS(
            host, parts.port, addresses, deadline, ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTP(host, parts.port, addresses, deadline)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body=body.encode(),
            headers={"user-agent": "admitone-webhooks", "connection": "close", **headers},
        )
        return int(connection.getresponse().status)
    except (TimeoutError, _DeadlinePassed) as error:
        raise DeliveryFailed(TIMEOUT) from error
    except ssl.SSLError as error:  # ssl.SSLCertVerificationError among them
        raise DeliveryFailed(TLS_FAILED) from error
    except http.client.HTTPException as error:  # a status line or head that is not HTTP
        raise DeliveryFailed(BAD_RESPONSE) from error
    except OSError as error:
        raise DeliveryFailed(CONNECT_FAILED) from error
    finally:
        connection.close()


class _DeadlinePassed(Exception):
    pass


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _DeadlinePassed
    return left


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``host`` made at one of ``addresses``, never a lookup."""

    def __init__(
        self, host: str, port: int | None, addresses: Sequence[str], deadline: float
    ) -> None:
        super().__init__(host, port, timeout=_left(deadline))
        self._addresses = tuple(addresses)
        self._deadline = deadline

    def connect(self) -> None:
        failure: OSError = ConnectionError("no address to connect to")
        for address in self._addresses:
            try:
                self.sock = socket.create_connection((address, self.port), _left(self._deadline))
            except TimeoutError:
                raise
            except OSError as error:
                failure = error
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.settimeout(_left(self._deadline))
            self.response_class = _response_until(self._deadline)
            return
        raise failure


class _PinnedHTTPS(_PinnedHTTP):
    """The same over TLS: SNI and the certificate check are for ``host``, not the address."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self,
        host: str,
        port: int | None,
        addresses: Sequence[str],
        deadline: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, addresses, deadline)
        self._tls = context

    def connect(self) -> None:
        super().connect()
        # do_handshake bounds itself by the socket's timeout, as a whole.
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def _response_until(deadline: float) -> Any:
    """An HTTPResponse class whose reads share ``deadline`` (a socket timeout is per read)."""

    class Response(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            self.fp.close()
            self.fp = io.BufferedReader(_ReadUntil(sock, deadline))

    return Response


class _ReadUntil(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)
