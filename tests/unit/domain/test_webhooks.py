"""Webhook signatures are Standard Webhooks'; URLs that could reach inside are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from admitone.domain.webhooks import (
    ADDRESS_REFUSED,
    SECRET_PREFIX,
    UNRESOLVED,
    URL_REFUSED,
    Endpoint,
    WebhookUrlRefused,
    check_url,
    delivery_headers,
    is_public,
    new_secret,
    url_refusal,
)


def test_the_reference_library_verifies_our_signature():
    secret = new_secret()
    assert secret.startswith(SECRET_PREFIX)
    body = '{"type":"order.paid","data":{}}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = delivery_headers(secret, "obx_1", timestamp, body)
    assert Webhook(secret).verify(body, headers) == {"type": "order.paid", "data": {}}
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret()).verify(body, headers)


@pytest.mark.parametrize(
    ("event_type", "wanted"),
    [
        ("order.paid", True),
        ("ticket.minted", True),
        ("order.refunded", False),
        ("order", False),  # no prefix matching
        ("ORDER.PAID", False),
    ],
)
def test_an_endpoint_receives_only_the_event_types_it_subscribed_to(event_type: str, wanted: bool):
    endpoint = Endpoint(
        id="whk_1",
        owner_id="usr_1",
        url="https://hooks.example.com/x",
        events=("order.paid", "ticket.minted"),
        secret=new_secret(),
        created_at=datetime(2026, 12, 5, tzinfo=UTC),
    )
    assert endpoint.wants(event_type) is wanted


@pytest.mark.parametrize(
    ("url", "addresses", "loopback_ok"),
    [
        ("https://hooks.example.com/x", ["93.184.216.34"], False),
        ("https://[2606:4700::1]/x", ["2606:4700::1"], False),
        ("http://127.0.0.1:8080/x", ["127.0.0.1"], True),
    ],
)
def test_public_https_and_allowed_loopback_pass(url: str, addresses: list[str], loopback_ok: bool):
    check_url(url, addresses, allow_loopback_http=loopback_ok)


@pytest.mark.parametrize(
    ("url", "addresses", "loopback_ok"),
    [
        ("http://127.0.0.1:8080/x", ["127.0.0.1"], False),
        ("http://hooks.example.com/x", ["93.184.216.34"], True),
        ("https://127.0.0.1/x", ["127.0.0.1"], False),
        ("https://intranet/x", ["10.0.0.8"], False),
        ("https://mixed.example.com/x", ["93.184.216.34", "192.168.1.1"], False),
        ("https://v6-local.example.com/x", ["fe80::1"], False),
        ("https://mcast.example.com/x", ["224.0.0.1"], False),
        ("https://gone.example.com/x", [], False),
        ("https://u:p@hooks.example.com/x", ["93.184.216.34"], False),
        ("https:///nohost", [], False),
        ("https://hooks.example.com:99999/x", ["93.184.216.34"], False),
        ("https://hooks.example.com/a b", ["93.184.216.34"], False),
        ("https://hooks.example.com/x\r\nHost: inside", ["93.184.216.34"], False),
        ("https://nat64.example.com/x", ["64:ff9b::a9fe:a9fe"], False),
        ("http://127.0.0.1:8080/x", ["127.0.0.1", "93.184.216.34"], True),
    ],
    ids=[
        "loopback-not-allowed",
        "plain-http",
        "loopback-https",
        "private",
        "one-private-address",
        "link-local-v6",
        "multicast",
        "unresolved",
        "credentials",
        "no-host",
        "port-out-of-range",
        "space",
        "header-injection",
        "nat64",
        "http-not-only-loopback",
    ],
)
def test_urls_that_could_reach_inside_are_refused(
    url: str, addresses: list[str], loopback_ok: bool
):
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, addresses, allow_loopback_http=loopback_ok)
    assert [e.field for e in refused.value.errors] == ["url"]


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("https://hooks.example.com/x", [], UNRESOLVED),
        ("https://hooks.example.com/x", ["93.184.216.34", "::ffff:7f00:1"], ADDRESS_REFUSED),
        ("http://hooks.example.com/x", ["93.184.216.34"], URL_REFUSED),
        ("https://hooks.example.com:0x1/x", ["93.184.216.34"], URL_REFUSED),
    ],
)
def test_a_refusal_has_a_stable_reason_for_the_delivery_log(
    url: str, addresses: list[str], reason: str
):
    refusal = url_refusal(url, addresses, allow_loopback_http=True)
    assert refusal is not None
    assert refusal[0] == reason


def test_a_public_https_url_has_no_refusal():
    assert (
        url_refusal("https://h.example.com/x", ["2606:4700::1"], allow_loopback_http=False) is None
    )


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"],
)
def test_internet_addresses_are_public(address: str):
    assert is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # link-local: instance metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "240.0.0.1",  # reserved
        "192.0.2.1",  # documentation
        "198.51.100.1",
        "203.0.113.1",
        "198.18.0.1",  # benchmarking
        "192.0.0.1",  # IETF protocol assignments
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",  # site-local (deprecated); ipaddress calls it global
        "ff0e::1",  # global-scope multicast; ipaddress calls it global
        "2001:db8::1",  # documentation
        "100::1",  # discard
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:93.184.216.34",  # IPv4-mapped, of a public address: refused all the same
        "::7f00:1",  # IPv4-compatible; ipaddress calls it global
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address; ipaddress calls it global
        "64:ff9b::5db8:d822",  # NAT64 of a public address: the translator is inside
        "64:ff9b:1::a00:1",  # NAT64, local use
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:5db8:d822::1",  # 6to4 of a public address
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:20::1",  # ORCHIDv2; ipaddress calls it global
    ],
)
def test_inside_reserved_and_translated_addresses_are_not_public(address: str):
    assert not is_public(address)


def test_a_sealed_signing_secret_is_bound_to_its_endpoint():
    from admitone.domain.webhooks import secret_context  # noqa: PLC0415

    assert secret_context("whe_1") == {"purpose": "webhook-secret", "endpoint": "whe_1"}
    assert secret_context("whe_1") != secret_context("whe_2")
