"""Webhook signatures are Standard Webhooks'; URLs that could reach inside are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from admitone.domain.webhooks import (
    SECRET_PREFIX,
    WebhookUrlRefused,
    check_url,
    delivery_headers,
    new_secret,
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
    ],
)
def test_urls_that_could_reach_inside_are_refused(
    url: str, addresses: list[str], loopback_ok: bool
):
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url, addresses, allow_loopback_http=loopback_ok)
    assert [e.field for e in refused.value.errors] == ["url"]
