"""Voucher tries (issue 16): which allowances a code tried on an event uses up."""

from __future__ import annotations

from admitone.domain.rate_limits import (
    VOUCHER_ATTEMPTS,
    Charge,
    Client,
    ClientKeyKind,
    Family,
    charges_for,
    voucher_attempt_charges,
)

EVENT = "evt_01JDQ3Z8K4M2N6P8R0T2V4X6Y8"
BY_IP, BY_USER = VOUCHER_ATTEMPTS


def test_ten_wrong_codes_per_event_in_ten_minutes_by_ip_and_by_user() -> None:
    assert [(limit.per, limit.count, limit.window_seconds) for limit in VOUCHER_ATTEMPTS] == [
        (ClientKeyKind.IP, 10, 600),
        (ClientKeyKind.USER, 10, 600),
    ]
    assert {limit.family for limit in VOUCHER_ATTEMPTS} == {Family.VOUCHER}


def test_a_signed_in_client_uses_up_its_ip_and_its_user_allowance_for_the_event() -> None:
    charges = voucher_attempt_charges(EVENT, Client(ip="203.0.113.9", user="usr_1"))
    assert charges == (
        Charge(BY_IP, f"{EVENT}:203.0.113.9"),
        Charge(BY_USER, f"{EVENT}:usr_1"),
    )


def test_each_event_has_its_own_allowance() -> None:
    client = Client(ip="203.0.113.9")
    assert voucher_attempt_charges("evt_a", client) != voucher_attempt_charges("evt_b", client)


def test_a_client_the_request_does_not_identify_still_counts() -> None:
    assert voucher_attempt_charges(EVENT, Client()) == (Charge(BY_IP, f"{EVENT}:unidentified"),)
    assert voucher_attempt_charges(EVENT, Client(device="dev")) == (
        Charge(BY_IP, f"{EVENT}:unidentified"),
    )


def test_no_route_counts_requests_against_the_voucher_family() -> None:
    for route in ("POST /quotes", "POST /orders"):
        assert all(c.limit.family is not Family.VOUCHER for c in charges_for(route, Client("ip")))
