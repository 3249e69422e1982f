"""Per-client rate limits (RULES §16): the policy table, which routes it covers, window math.

This module is the one place the §16 numbers live. Contract:

- A route key (``"POST /auth/login"``, as API Gateway names the route) belongs to one or
  more families; every route also counts against ``general`` (60/min per IP), except
  scans, which are limited per device instead (a venue's gates share one IP).
- The device a scan counts against is the one the request AUTHENTICATED (its id), never
  the ``X-Device-Token`` a client sends: a header the client chooses would let it pick
  a fresh counter on every request. Scan routes are therefore counted once the device
  check has run (``counted_after_device_check``); a request whose device did not
  authenticate carries no device key and counts against ``general`` per IP.
- Each limit names the client key it counts by (IP, user, device). A limit whose key
  the request does not carry (a per-user limit on an anonymous call) does not apply;
  but a request never escapes every limit by omitting a header: when none of its
  route's limits can be keyed, it counts against ``general`` per IP.
- Windows are fixed and aligned to the Unix epoch, so every client's minute starts at
  :00. A refused client waits until its window ends: ``Retry-After`` is the whole
  seconds left, at least 1.
- Within one family each key kind has at most one limit: a counter is identified by
  (family, key kind, client key, window start).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

MINUTE = 60
HOUR = 60 * MINUTE


class Family(StrEnum):
    AUTH = "auth"
    EMAIL = "email"
    PAYMENT = "payment"
    SCAN = "scan"
    GENERAL = "general"
    VOUCHER = "voucher"  # failed voucher codes per event, not a route family


class ClientKeyKind(StrEnum):
    IP = "ip"
    USER = "user"
    DEVICE = "device"


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``window_seconds`` for each distinct ``per`` key."""

    family: Family
    count: int
    window_seconds: int
    per: ClientKeyKind


# RULES §16: "auth 5/min, payment 5/min per IP and 10/hour per user, email-sending
# 10/hour, scans 100/min per device, everything else 60/min per IP". Auth and email
# calls are anonymous (login, register, forgot password), so the IP is their client.
POLICY: Mapping[Family, tuple[Limit, ...]] = MappingProxyType(
    {
        Family.AUTH: (Limit(Family.AUTH, 5, MINUTE, ClientKeyKind.IP),),
        Family.EMAIL: (Limit(Family.EMAIL, 10, HOUR, ClientKeyKind.IP),),
        Family.PAYMENT: (
            Limit(Family.PAYMENT, 5, MINUTE, ClientKeyKind.IP),
            Limit(Family.PAYMENT, 10, HOUR, ClientKeyKind.USER),
        ),
        Family.SCAN: (Limit(Family.SCAN, 100, MINUTE, ClientKeyKind.DEVICE),),
        Family.GENERAL: (Limit(Family.GENERAL, 60, MINUTE, ClientKeyKind.IP),),
    }
)

# Families that guard secrets, inboxes or money: when their counters cannot be read
# the request is refused (503), never let through unchecked. The others (general,
# scans) protect capacity only; they let the request through, loudly (log + metric),
# so that a health check can still say which dependency is down.
FAIL_CLOSED_FAMILIES = frozenset({Family.AUTH, Family.EMAIL, Family.PAYMENT})

# Routes where a credential (a password, or an address to probe) can be guessed.
# Refresh, logout and e-mail verification take unguessable tokens: limiting them
# would only slow down legitimate clients (register -> verify -> login -> refresh
# within one minute is ordinary use).
AUTH_ROUTES = frozenset(
    {
        "POST /auth/login",
        "POST /auth/register",
        "POST /auth/password/forgot",
        "POST /auth/password/reset",
        "POST /auth/verify-email/resend",
    }
)
EMAIL_SENDING_ROUTES = frozenset(
    {
        "POST /auth/register",
        "POST /auth/password/forgot",
        "POST /auth/verify-email/resend",
    }
)
PAYMENT_ROUTES = frozenset(
    {
        "POST /orders",
        "POST /orders/{order_id}/refunds",
        "POST /listings/{listing_id}/purchase",
        "POST /groups",
        "POST /groups/{group_id}/contributions",
        "POST /venues/{venue_id}/payouts",
    }
)
SCAN_ROUTES = frozenset(
    {
        "POST /events/{event_id}/scans",
        "POST /events/{event_id}/scans/offline",
    }
)

# Routes no per-client limit covers. Stripe delivers every webhook of an on-sale from a
# handful of addresses; a per-IP limit would throttle the payments themselves. The
# signature check rejects forgeries before anything is written, and API Gateway's own
# throttling caps the volume.
UNMETERED_ROUTES = frozenset({"POST /webhooks/stripe"})

# One IPv6 client usually holds a whole /64 and may rotate addresses inside it at
# will; counting per address would let it multiply every limit by 2**64.
IPV6_CLIENT_PREFIX = 64

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MICROSECONDS_PER_SECOND = 1_000_000


@dataclass(frozen=True)
class Client:
    """Who is calling, as far as the request tells; ``None`` when it does not."""

    ip: str | None = None
    user: str | None = None
    device: str | None = None  # the id of the device the request authenticated

    def key(self, kind: ClientKeyKind) -> str | None:
        keys = {
            ClientKeyKind.IP: self.ip,
            ClientKeyKind.USER: self.user,
            ClientKeyKind.DEVICE: self.device,
        }
        return keys[kind]


@dataclass(frozen=True)
class Charge:
    """One hit to count: ``limit``'s counter for ``client_key`` (not yet pseudonymised)."""

    limit: Limit
    client_key: str


def families_for(route_key: str) -> tuple[Family, ...]:
    """The families a route counts against, in the order their counters are checked."""
    families: list[Family] = []
    if route_key in AUTH_ROUTES:
        families.append(Family.AUTH)
    if route_key in EMAIL_SENDING_ROUTES:
        families.append(Family.EMAIL)
    if route_key in PAYMENT_ROUTES:
        families.append(Family.PAYMENT)
    if route_key in SCAN_ROUTES:
        families.append(Family.SCAN)
    else:
        families.append(Family.GENERAL)
    return tuple(families)


def charges_for(route_key: str, client: Client) -> tuple[Charge, ...]:
    """The counters one request to ``route_key`` by ``client`` increments, in order.

    Limits whose key the client does not carry are left out; if that leaves nothing,
    the request counts against ``general`` per IP (see the module contract).
    """
    if route_key in UNMETERED_ROUTES:
        return ()
    charges = tuple(
        Charge(limit, key)
        for family in families_for(route_key)
        for limit in POLICY[family]
        if (key := client.key(limit.per)) is not None
    )
    if charges or client.ip is None:
        return charges
    return tuple(Charge(limit, client.ip) for limit in POLICY[Family.GENERAL])


def counted_after_device_check(route_key: str) -> bool:
    """Whether the route's limits are counted only once its device check has said which
    device (if any) is calling: the routes limited per device."""
    return route_key in SCAN_ROUTES


def fails_closed(family: Family) -> bool:
    """Whether a request is refused when ``family``'s counters are unavailable."""
    return family in FAIL_CLOSED_FAMILIES


def ip_client_key(source_ip: str) -> str:
    """The client key of an address: IPv4 as is, IPv6 by its /64 network.

    A text that is not an address (never sent by API Gateway) is its own key, so that
    it is still counted rather than exempted.
    """
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return source_ip
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
    return str(network)


def _microseconds_since_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    # Integer arithmetic: float timestamps would misplace moments near a window edge.
    return (moment - _EPOCH) // _MICROSECOND


def window_start(moment: datetime, window_seconds: int) -> int:
    """Epoch seconds at which the fixed window of ``window_seconds`` holding ``moment`` began."""
    elapsed = _microseconds_since_epoch(moment)
    window = window_seconds * _MICROSECONDS_PER_SECOND
    return elapsed // window * window_seconds


def seconds_until_window_ends(moment: datetime, window_seconds: int) -> int:
    """Whole seconds from ``moment`` to the end of its window, rounded up: ``Retry-After``.

    Always between 1 and ``window_seconds``: a window ends strictly after any moment in it.
    """
    end = (window_start(moment, window_seconds) + window_seconds) * _MICROSECONDS_PER_SECOND
    remaining = end - _microseconds_since_epoch(moment)
    return -(-remaining // _MICROSECONDS_PER_SECOND)


# Voucher codes are guessable and every checkout route says whether one is valid: a
# client has ten failed codes per event in ten minutes, by IP and, signed in, by user
# (RULES §16 covers requests; this covers guesses). Only failures use the allowance: a
# buyer re-quoting with a good code is never held back. ``VOUCHER`` is in no route's
# families: services/quote.py counts these around the code's evaluation.
VOUCHER_ATTEMPTS: tuple[Limit, ...] = (
    Limit(Family.VOUCHER, 10, 10 * MINUTE, ClientKeyKind.IP),
    Limit(Family.VOUCHER, 10, 10 * MINUTE, ClientKeyKind.USER),
)
# A client the request does not identify still counts, under one key per event.
UNIDENTIFIED_CLIENT = "unidentified"


def voucher_attempt_charges(event_id: str, client: Client) -> tuple[Charge, ...]:
    """The counters a voucher code tried on ``event_id`` by ``client`` may use up: one per
    key the client carries, per event; an anonymous client without an IP shares one."""
    charges = tuple(
        Charge(limit, f"{event_id}:{key}")
        for limit in VOUCHER_ATTEMPTS
        if (key := client.key(limit.per)) is not None
    )
    if charges:
        return charges
    return (Charge(VOUCHER_ATTEMPTS[0], f"{event_id}:{UNIDENTIFIED_CLIENT}"),)
