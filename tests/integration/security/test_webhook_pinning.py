"""Outbound webhooks connect to the address that was checked (issue 16, item 3).

The name of an endpoint is resolved once per attempt; every address it answers must be
public, and the connection goes to one of those addresses, with TLS verified against the
name. A name that answers a public address to the check and 127.0.0.1 to the connect
(DNS rebinding) reaches nothing inside. NAT64 and the other ranges that carry an IPv4
address inside an IPv6 one are refused. The delivery log says why an attempt failed with a
stable reason, never with the text of the exception (which can name internal addresses).

The tests run on a sealed "network": a fake resolver for the test names, and connections
to the test's public addresses routed to servers on 127.0.0.1. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from admitone.adapters import webhook_http
from admitone.services.webhooks import dispatch
from admitone.services.wiring import ports
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.shop import Shop, open_shop
from tests.integration.test_webhooks import bus_event, subscribe

PUBLIC = "93.184.216.34"
OTHER_PUBLIC = "93.184.216.35"


# ----------------------------------------------------------------- certificates
@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key_file(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    dns_name: str | None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    signer_cert, signer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(signer_cert.subject if signer_cert else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), False
        )
    )
    if dns_name is None:  # a CA
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns_name)]), False
        )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False
        )
    return builder.sign(signer_key, hashes.SHA256())


class Authority:
    """A CA the process trusts (``SSL_CERT_FILE``, as ``create_default_context`` reads it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _certificate("admitone test CA", self.key, None, dns_name=None)
        self.file = folder / "ca.pem"
        self.file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, dns_name: str, *, self_signed: bool = False) -> Pem:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer = None if self_signed else (self.cert, self.key)
        cert = _certificate(dns_name, key, issuer, dns_name=dns_name)
        stem = self.folder / f"{dns_name}{'-self' if self_signed else ''}"
        cert_file = stem.with_suffix(".crt")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return Pem(cert_file, _key_file(stem.with_suffix(".key"), key))


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Authority:
    made = Authority(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(made.file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return made


# -------------------------------------------------------------------- receivers
class Receiver:
    """An HTTP(S) endpoint on 127.0.0.1 that answers 204 and keeps what it received; it
    counts the TCP connections it accepted, whether or not a request followed."""

    def __init__(self, tls: Pem | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.connections = 0
        receiver = self
        context = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self) -> tuple[Any, Any]:
                connection, address = self.socket.accept()
                receiver.connections += 1
                if context is None:
                    return connection, address
                connection.settimeout(5)
                return context.wrap_socket(connection, server_side=True), address

            def handle_error(self, *_: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def start(tls: Pem | None = None) -> Receiver:
        made.append(Receiver(tls))
        return made[-1]

    yield start
    for receiver in made:
        receiver.close()


# ---------------------------------------------------------------------- network
@dataclass
class Network:
    """Names the test resolves, and public addresses routed to local ports."""

    names: dict[str, Callable[[], list[str]]] = field(default_factory=dict)
    routes: dict[tuple[str, int], int] = field(default_factory=dict)
    connected: list[tuple[str, int]] = field(default_factory=list)

    def answer(self, name: str, *answers: list[str]) -> None:
        """``name`` answers ``answers[0]`` first, then the next ones; the last one for good."""
        queue = list(answers)
        self.names[name] = lambda: queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    made = Network()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.create_connection

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in made.names:
            return real_getaddrinfo(host, port, *args, **kwargs)
        infos = []
        for address in made.names[host]():
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if ":" in address else (address, port or 0)
            infos.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return infos

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address[0], address[1]
        if host not in made.names and not _is_ip(host):
            return real_connect(address, *args, **kwargs)
        # A name is looked up here, as socket.create_connection itself would do.
        for target in made.names[host]() if host in made.names else [host]:
            if (target, port) in made.routes:
                made.connected.append((target, port))
                return real_connect(("127.0.0.1", made.routes[target, port]), *args, **kwargs)
            if target.startswith("127."):
                return real_connect((target, port), *args, **kwargs)
            made.connected.append((target, port))
        raise ConnectionRefusedError("sealed test network")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return made


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws)


def deliver(shop: Shop, url: str) -> list[dict[str, Any]]:
    """Subscribe ``url``, pay an order, dispatch its order.paid once: the attempts logged."""
    endpoint = subscribe(shop, url, ["order.paid"])
    event = bus_event(shop.aws, buy(shop, 1).order_id)
    shop.aws.use_function("WebhookDispatcherFunction")
    assert dispatch(event, envelopes=ports().envelopes) == 1
    log = shop.api.get(
        f"/webhook-endpoints/{endpoint['id']}/deliveries", token=shop.organizer_token
    ).json()["deliveries"]
    return list(log[0]["log"])


# ------------------------------------------------------------------------ tests
def test_a_name_that_rebinds_to_loopback_after_the_check_reaches_nothing_inside(
    shop: Shop,
    authority: Authority,
    network: Network,
    receivers: Callable[..., Receiver],
):
    # Given an internal HTTPS service on 127.0.0.1 whose certificate even matches the name,
    name = "hooks.rebind.test"
    inside = receivers(authority.issue(name))
    outside = receivers(authority.issue(name))
    network.routes[PUBLIC, inside.port] = outside.port
    # and a name that answers a public address to the check and 127.0.0.1 afterwards
    # (creation's check, the attempt's check; then whatever resolves it again),
    network.answer(name, [PUBLIC], [PUBLIC], ["127.0.0.1"])

    log = deliver(shop, f"https://{name}:{inside.port}/hooks")

    # the delivery goes to the public address that was checked, never inside.
    assert [body for _, body in inside.received] == []
    assert inside.connections == 0
    assert network.connected == [(PUBLIC, inside.port)]
    assert [entry.get("status_code") for entry in log] == [204]
    headers, _ = outside.received[0]
    assert headers["host"] == f"{name}:{inside.port}"


@pytest.mark.parametrize("certificate", ["self-signed", "for-another-name"])
def test_tls_is_verified_against_the_name_not_the_pinned_address(
    shop: Shop,
    authority: Authority,
    network: Network,
    receivers: Callable[..., Receiver],
    certificate: str,
):
    name = "hooks.example.test"
    network.answer(name, [PUBLIC])
    if certificate == "self-signed":
        receiver = receivers(authority.issue(name, self_signed=True))
    else:
        receiver = receivers(authority.issue("someone-else.test"))
    network.routes[PUBLIC, receiver.port] = receiver.port
    log = deliver(shop, f"https://{name}:{receiver.port}/hooks")
    assert [entry.get("error") for entry in log] == ["tls_failed"]
    assert receiver.connections == 1
    assert receiver.received == []


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (instance metadata)
        "64:ff9b::5db8:d822",  # NAT64 of a public address: still a translator inside
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::7f00:1",  # IPv4-compatible (deprecated)
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fec0::1",  # site-local (deprecated)
    ],
)
def test_translated_and_mapped_addresses_are_refused(shop: Shop, network: Network, address: str):
    network.answer("translated.test", [address])
    for url in (f"https://[{address}]/hooks", "https://translated.test/hooks"):
        refused = shop.api.post(
            "/webhook-endpoints",
            {"url": url, "events": ["order.paid"]},
            token=shop.organizer_token,
        )
        assert refused.status == 422, (url, refused.body)
        assert refused.json()["code"] == "WEBHOOK_URL_REFUSED"
    assert network.connected == []


def test_a_name_that_turns_private_before_an_attempt_is_refused_without_a_connection(
    shop: Shop, network: Network
):
    network.answer("turns.test", [PUBLIC], ["64:ff9b::a00:1"])
    log = deliver(shop, "https://turns.test/hooks")
    assert [entry.get("error") for entry in log] == ["address_refused"]
    assert network.connected == []


def test_every_address_a_name_answers_must_be_public(shop: Shop, network: Network):
    network.answer("mixed.test", [PUBLIC], [OTHER_PUBLIC, "10.0.0.7"])
    log = deliver(shop, "https://mixed.test/hooks")
    assert [entry.get("error") for entry in log] == ["address_refused"]
    assert network.connected == []


def test_the_log_says_why_an_attempt_failed_in_a_stable_word_not_the_raw_error(shop: Shop):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    log = deliver(shop, f"http://127.0.0.1:{port}/hooks")
    assert [set(entry) for entry in log] == [{"at", "error"}]
    assert [entry["error"] for entry in log] == ["connect_failed"]


# ------------------------------------------------------ the adapter, on its own
def _listen(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def serve() -> None:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            with contextlib.suppress(OSError):
                answer(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    thread.join(timeout=15)


@pytest.fixture
def dripping() -> Iterator[int]:
    """A receiver that sends its status line, then one header byte every 0.1 s for 6 s."""

    def answer(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        ends = time.monotonic() + 6
        while time.monotonic() < ends:
            connection.sendall(b"X")
            time.sleep(0.1)
        connection.sendall(b": y\r\nContent-Length: 0\r\n\r\n")

    yield from _listen(answer)


@pytest.fixture
def garbled() -> Iterator[int]:
    yield from _listen(lambda connection: connection.sendall(b"hello there\r\n\r\n"))


def test_a_receiver_dripping_its_answer_cannot_hold_an_attempt_past_its_timeout(
    dripping: int,
):
    with pytest.raises(webhook_http.DeliveryFailed) as failed:
        webhook_http.post(f"http://127.0.0.1:{dripping}/hooks", ["127.0.0.1"], "{}", {}, timeout=1)
    assert failed.value.reason == "timeout"


def test_an_answer_that_is_not_http_is_a_failed_attempt(garbled: int):
    with pytest.raises(webhook_http.DeliveryFailed) as failed:
        webhook_http.post(f"http://127.0.0.1:{garbled}/hooks", ["127.0.0.1"], "{}", {}, timeout=2)
    assert failed.value.reason == "bad_response"


def test_the_adapter_never_resolves_the_name_itself(
    network: Network, receivers: Callable[..., Receiver]
):
    receiver = receivers()
    network.answer("nowhere.test", ["127.0.0.2"])  # what a second lookup would say
    status = webhook_http.post(
        f"http://nowhere.test:{receiver.port}/hooks?x=1", ["127.0.0.1"], "{}", {}, timeout=2
    )
    assert status == 204
    headers, _ = receiver.received[0]
    assert headers["host"] == f"nowhere.test:{receiver.port}"
