"""Rate limits: the RULES §16 policy table, which routes it covers, fixed-window math."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.rate_limits import (
    EMAIL_SENDING_ROUTES,
    PAYMENT_ROUTES,
    POLICY,
    SCAN_ROUTES,
    Charge,
    Client,
    ClientKeyKind,
    Family,
    Limit,
    charges_for,
    counted_after_device_check,
    fails_closed,
    families_for,
    ip_client_key,
    seconds_until_window_ends,
    window_start,
)

IP = ClientKeyKind.IP
USER = ClientKeyKind.USER
DEVICE = ClientKeyKind.DEVICE

AUTH_PER_IP = Limit(Family.AUTH, 5, 60, IP)
EMAIL_PER_IP = Limit(Family.EMAIL, 10, 3600, IP)
PAYMENT_PER_IP = Limit(Family.PAYMENT, 5, 60, IP)
PAYMENT_PER_USER = Limit(Family.PAYMENT, 10, 3600, USER)
SCAN_PER_DEVICE = Limit(Family.SCAN, 100, 60, DEVICE)
GENERAL_PER_IP = Limit(Family.GENERAL, 60, 60, IP)

BROWSER = Client(ip="203.0.113.10")
SIGNED_IN = Client(ip="203.0.113.10", user="usr_ada")
GATE = Client(ip="198.51.100.7", device="device-1")

# Tuesday 23 Nov 2026, 18:06:00 UTC: a whole minute, not a whole hour.
AT_A_MINUTE = datetime(2026, 11, 23, 18, 6, tzinfo=UTC)
AT_AN_HOUR = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


# the policy table


def test_the_policy_table_is_rules_section_16_exactly() -> None:
    # "auth 5/min, payment 5/min per IP and 10/hour per user, email-sending 10/hour,
    # scans 100/min per device, everything else 60/min per IP"
    assert dict(POLICY) == {
        Family.AUTH: (AUTH_PER_IP,),
        Family.EMAIL: (EMAIL_PER_IP,),
        Family.PAYMENT: (PAYMENT_PER_IP, PAYMENT_PER_USER),
        Family.SCAN: (SCAN_PER_DEVICE,),
        Family.GENERAL: (GENERAL_PER_IP,),
    }


def test_every_limit_is_filed_under_its_own_family() -> None:
    for family, limits in POLICY.items():
        assert {limit.family for limit in limits} == {family}


def test_no_family_counts_one_kind_of_client_key_twice() -> None:
    # A counter is (family, key kind, client key, window start): a second limit of the
    # same kind would share, and corrupt, the first one's counter.
    for limits in POLICY.values():
        kinds = [limit.per for limit in limits]
        assert len(kinds) == len(set(kinds))


def test_the_policy_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        POLICY[Family.AUTH] = ()  # type: ignore[index]


@pytest.mark.parametrize(
    ("family", "closed"),
    [
        (Family.AUTH, True),
        (Family.EMAIL, True),
        (Family.PAYMENT, True),
        (Family.SCAN, False),
        (Family.GENERAL, False),
    ],
)
def test_families_guarding_secrets_inboxes_or_money_fail_closed(
    family: Family, closed: bool
) -> None:
    assert fails_closed(family) is closed


# routes


@pytest.mark.parametrize(
    ("route_key", "families"),
    [
        ("POST /auth/login", (Family.AUTH, Family.GENERAL)),
        # Unguessable tokens: only the general limit applies.
        ("POST /auth/refresh", (Family.GENERAL,)),
        ("POST /auth/logout", (Family.GENERAL,)),
        ("POST /auth/verify-email", (Family.GENERAL,)),
        ("POST /auth/password/reset", (Family.AUTH, Family.GENERAL)),
        ("POST /auth/register", (Family.AUTH, Family.EMAIL, Family.GENERAL)),
        ("POST /auth/password/forgot", (Family.AUTH, Family.EMAIL, Family.GENERAL)),
        ("POST /auth/verify-email/resend", (Family.AUTH, Family.EMAIL, Family.GENERAL)),
        ("POST /orders", (Family.PAYMENT, Family.GENERAL)),
        ("POST /events/{event_id}/scans", (Family.SCAN,)),
        ("POST /events/{event_id}/scans/offline", (Family.SCAN,)),
        ("GET /health", (Family.GENERAL,)),
        ("GET /me", (Family.GENERAL,)),
        ("GET /orders", (Family.GENERAL,)),
        ("$default", (Family.GENERAL,)),
        ("", (Family.GENERAL,)),
    ],
)
def test_a_route_counts_against_its_families_and_general_last(
    route_key: str, families: tuple[Family, ...]
) -> None:
    assert families_for(route_key) == families


@pytest.mark.parametrize(
    "route_key",
    [
        "GET /auth/jwks",  # only POSTs under /auth are auth calls
        "POST /authors",  # the prefix is a path segment, not a string prefix
        "POST /auth",
    ],
)
def test_only_posts_below_auth_are_auth_calls(route_key: str) -> None:
    assert Family.AUTH not in families_for(route_key)


def test_every_money_moving_route_is_a_payment() -> None:
    expected = {
        "POST /orders",
        "POST /orders/{order_id}/refunds",
        "POST /listings/{listing_id}/purchase",
        "POST /groups",
        "POST /groups/{group_id}/contributions",
        "POST /venues/{venue_id}/payouts",
    }
    assert expected == PAYMENT_ROUTES
    for route_key in PAYMENT_ROUTES:
        assert families_for(route_key) == (Family.PAYMENT, Family.GENERAL)


def test_every_email_sending_route_is_also_an_auth_call() -> None:
    for route_key in EMAIL_SENDING_ROUTES:
        assert families_for(route_key)[:2] == (Family.AUTH, Family.EMAIL)


def test_scans_are_limited_per_device_and_not_per_ip() -> None:
    # A venue's gate devices share one IP: 60/min per IP would stop the doors.
    for route_key in SCAN_ROUTES:
        assert families_for(route_key) == (Family.SCAN,)


# charges: which counters one request increments


def test_a_login_counts_against_auth_then_general_per_ip() -> None:
    assert charges_for("POST /auth/login", BROWSER) == (
        Charge(AUTH_PER_IP, "203.0.113.10"),
        Charge(GENERAL_PER_IP, "203.0.113.10"),
    )


def test_a_registration_also_counts_as_an_email_sent() -> None:
    assert charges_for("POST /auth/register", BROWSER) == (
        Charge(AUTH_PER_IP, "203.0.113.10"),
        Charge(EMAIL_PER_IP, "203.0.113.10"),
        Charge(GENERAL_PER_IP, "203.0.113.10"),
    )


def test_a_signed_in_payment_counts_per_ip_and_per_user() -> None:
    assert charges_for("POST /orders", SIGNED_IN) == (
        Charge(PAYMENT_PER_IP, "203.0.113.10"),
        Charge(PAYMENT_PER_USER, "usr_ada"),
        Charge(GENERAL_PER_IP, "203.0.113.10"),
    )


def test_the_per_user_limit_does_not_apply_to_an_anonymous_payment() -> None:
    assert charges_for("POST /orders", BROWSER) == (
        Charge(PAYMENT_PER_IP, "203.0.113.10"),
        Charge(GENERAL_PER_IP, "203.0.113.10"),
    )


def test_stripe_webhooks_count_against_no_limit() -> None:
    # Stripe sends an on-sale's thousands of webhooks from a few addresses.
    assert charges_for("POST /webhooks/stripe", BROWSER) == ()


def test_a_scan_counts_per_device_only() -> None:
    assert charges_for("POST /events/{event_id}/scans", GATE) == (
        Charge(SCAN_PER_DEVICE, "device-1"),
    )


def test_a_scan_without_an_authenticated_device_counts_against_general_per_ip() -> None:
    # Omitting the header, or sending one that does not authenticate, lifts no limit.
    assert charges_for("POST /events/{event_id}/scans", Client(ip="198.51.100.7")) == (
        Charge(GENERAL_PER_IP, "198.51.100.7"),
    )


def test_only_the_routes_limited_per_device_wait_for_the_device_check() -> None:
    assert all(counted_after_device_check(route_key) for route_key in SCAN_ROUTES)
    assert not counted_after_device_check("GET /events/{event_id}/scanner-bundle")
    assert not counted_after_device_check("POST /auth/login")


def test_a_request_that_names_no_client_at_all_counts_nowhere() -> None:
    assert charges_for("POST /events/{event_id}/scans", Client()) == ()
    assert charges_for("GET /health", Client()) == ()


def test_a_client_key_is_looked_up_by_its_kind() -> None:
    client = Client(ip="a", user="b", device="c")

    assert [client.key(kind) for kind in (IP, USER, DEVICE)] == ["a", "b", "c"]


# client keys from addresses


@pytest.mark.parametrize(
    ("source_ip", "key"),
    [
        ("203.0.113.10", "203.0.113.10"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.10", "203.0.113.10"),
        ("not an address", "not an address"),
    ],
)
def test_an_address_becomes_a_client_key(source_ip: str, key: str) -> None:
    assert ip_client_key(source_ip) == key


def test_ipv6_addresses_of_one_slash_64_are_one_client() -> None:
    assert ip_client_key("2001:db8:0:1::1") == ip_client_key("2001:db8:0:1:ffff:ffff:ffff:ffff")
    assert ip_client_key("2001:db8:0:1::1") != ip_client_key("2001:db8:0:2::1")


# fixed windows


def test_a_minute_window_starts_on_the_minute() -> None:
    moment = AT_A_MINUTE + timedelta(seconds=20, microseconds=500)

    assert window_start(moment, 60) == int(AT_A_MINUTE.timestamp())
    assert seconds_until_window_ends(moment, 60) == 40


def test_an_hour_window_starts_on_the_hour() -> None:
    moment = AT_A_MINUTE + timedelta(seconds=20)

    assert window_start(moment, 3600) == int(AT_AN_HOUR.timestamp())
    assert seconds_until_window_ends(moment, 3600) == 54 * 60 - 20


@pytest.mark.parametrize(
    ("offset", "window_began", "retry_after"),
    [
        (timedelta(0), AT_A_MINUTE, 60),  # the first instant of a window: all of it is left
        (timedelta(microseconds=1), AT_A_MINUTE, 60),  # 59.999999 s rounds up
        (timedelta(seconds=59), AT_A_MINUTE, 1),
        (timedelta(seconds=59, microseconds=1), AT_A_MINUTE, 1),  # never 0
        (timedelta(seconds=59, microseconds=999_999), AT_A_MINUTE, 1),
        (timedelta(seconds=60), AT_A_MINUTE + timedelta(minutes=1), 60),  # the next window
        (-timedelta(microseconds=1), AT_A_MINUTE - timedelta(minutes=1), 1),
    ],
)
def test_retry_after_at_the_edges_of_a_window(
    offset: timedelta, window_began: datetime, retry_after: int
) -> None:
    moment = AT_A_MINUTE + offset

    assert window_start(moment, 60) == int(window_began.timestamp())
    assert seconds_until_window_ends(moment, 60) == retry_after


def test_a_moment_in_another_time_zone_falls_in_the_same_window() -> None:
    in_new_york = (AT_A_MINUTE + timedelta(seconds=20)).astimezone(timezone(timedelta(hours=-5)))

    assert window_start(in_new_york, 60) == int(AT_A_MINUTE.timestamp())
    assert seconds_until_window_ends(in_new_york, 60) == 40


def test_a_moment_without_a_time_zone_is_refused() -> None:
    naive = datetime(2026, 11, 23, 18, 6)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="timezone-aware"):
        window_start(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        seconds_until_window_ends(naive, 60)


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    window_seconds=st.sampled_from([1, 60, 3600, 86400]),
)
def test_every_moment_lies_in_exactly_one_window_and_waits_at_most_one(
    moment: datetime, window_seconds: int
) -> None:
    start = window_start(moment, window_seconds)
    retry_after = seconds_until_window_ends(moment, window_seconds)
    began = datetime.fromtimestamp(start, UTC)

    assert start % window_seconds == 0
    assert began <= moment < began + timedelta(seconds=window_seconds)
    assert 1 <= retry_after <= window_seconds
    # Waiting Retry-After seconds always lands in the next window, never further.
    assert window_start(moment + timedelta(seconds=retry_after), window_seconds) == (
        start + window_seconds
    )
