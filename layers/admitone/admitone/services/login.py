"""Log in with e-mail and password: a token pair, or a refusal that does not say
whether the address has an account.

Failures back off per address and per source (domain/login_guard.py) instead of
locking an account; a source the address was signed in from before backs off on its
own, so that strangers' failures cannot keep the owner out. A throttled attempt is
answered 429 ``LOGIN_THROTTLED`` before its password is looked at, and any wrong
password 401 ``INVALID_CREDENTIALS``, alike for an account, an unclaimed account (no
password yet) and an address nobody uses. The owner of an account being guessed at is
told by e-mail (through the outbox).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

from admitone.adapters import passwords
from admitone.adapters.dynamo import accounts, login_guard
from admitone.adapters.dynamo.login_guard import Kind
from admitone.adapters.dynamo.outbox import outbox_op
from admitone.domain.accounts import User, normalize_email
from admitone.domain.errors import EmailNotVerified, InvalidCredentials, LoginThrottled
from admitone.domain.ids import Prefix, new_id
from admitone.domain.login_guard import (
    BY_ADDRESS,
    BY_SOURCE,
    Failures,
    KnownSources,
    longest_wait,
)
from admitone.observability import logger
from admitone.services.session_tokens import RefreshToken, TokenPair, issue_pair, start_session

_REFUSED = "The e-mail address or password is wrong."
_THROTTLED = "Too many failed logins; try again later."
# Optimistic writes of one counter that lose to a concurrent attempt are read again;
# an attempt that keeps losing is refused as throttled (it can simply retry).
_WRITE_TRIES = 5


def clock() -> datetime:
    """The moment a login happens at (tests replace it to move through the backoff)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Counter:
    """The counter an attempt is admitted by: the address's own, or its known source's."""

    kind: Kind
    key: str


def login(
    email: str, password: str, *, source: str | None = None, now: datetime | None = None
) -> TokenPair:
    """``source`` is the client's IP key (``rate_limits.ip_client_key``), if known."""
    now = now or clock()
    address = normalize_email(email)
    # Read for every address alike (an unknown one has none), so it tells nobody which
    # addresses have accounts.
    known = login_guard.known_sources(address) if source else KnownSources()
    fingerprint = login_guard.source_fingerprint(address, source) if source else None
    counter = (
        _Counter(Kind.KNOWN_SOURCE, fingerprint)
        if fingerprint is not None and known.knows(fingerprint, now)
        else _Counter(Kind.ADDRESS, address)
    )
    attempt = _admit(counter, source, now)
    found = accounts.user_with_hash_by_email(address)
    if found is None:
        passwords.burn_verification_time(password)
        _failed(counter, source, attempt, None, now)
    user, password_hash = found
    # An unclaimed account's hash is empty: verifying it burns the same time and fails.
    if not passwords.verify_password(password_hash, password):
        _failed(counter, source, attempt, user if password_hash else None, now)
    login_guard.forget(counter.kind, counter.key)
    logger.append_keys(user_id=user.id)
    if not user.email_verified:
        raise EmailNotVerified("Verify your e-mail address before logging in.")
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(password_hash) else None
    accounts.record_successful_login(user.id, rehashed)
    refresh = RefreshToken.new()
    start_session(user, refresh, family_id=new_id(Prefix.SESSION, now=now), now=now)
    if fingerprint is not None:
        login_guard.remember(address, known.remembered(fingerprint, now))
    logger.info("logged in", extra={"known_source": counter.kind is Kind.KNOWN_SOURCE})
    return issue_pair(user, refresh, now)


def remember_source(email: str, source: str, now: datetime, *, only_if_stale: bool = False) -> None:
    """Make ``source`` known to ``email``'s address from ``now`` on. ``only_if_stale``
    (a refresh, every few minutes) writes only for a new source or a day-old note."""
    address = normalize_email(email)
    known = login_guard.known_sources(address)
    fingerprint = login_guard.source_fingerprint(address, source)
    if only_if_stale and not known.stale(fingerprint, now):
        return
    login_guard.remember(address, known.remembered(fingerprint, now))


def _throttled(seconds: float) -> LoginThrottled:
    return LoginThrottled(_THROTTLED, retry_after_seconds=math.ceil(seconds))


def _admit(counter: _Counter, source: str | None, now: datetime) -> Failures:
    """Count this attempt against its counter, or refuse it while a wait is on.

    Counted first, as if it failed (a correct password forgets it), so that of many
    concurrent attempts only as many go ahead as the backoff allows."""
    for _ in range(_WRITE_TRIES):
        failures = login_guard.failures(counter.kind, counter.key)
        by_source = login_guard.failures(Kind.SOURCE, source) if source else None
        wait = longest_wait(now, failures, by_source)
        if wait is not None:
            logger.info("login throttled", extra={"retry_after": math.ceil(wait.total_seconds())})
            raise _throttled(wait.total_seconds())
        counted = failures.counted(BY_ADDRESS, now)
        if login_guard.save(counter.kind, counter.key, counted):
            return counted
    raise _throttled(1)


def _failed(
    counter: _Counter, source: str | None, attempt: Failures, owner: User | None, now: datetime
) -> NoReturn:
    """A wrong password (or none to check): count it against the source, tell the
    owner if their address just reached the backoff, and refuse."""
    if source:
        _count_source_failure(source, now)
    _notice_if_due(counter, attempt, owner, now)
    raise InvalidCredentials(_REFUSED)


def _count_source_failure(source: str, now: datetime) -> None:
    for _ in range(_WRITE_TRIES):
        counter = login_guard.failures(Kind.SOURCE, source)
        if login_guard.save(Kind.SOURCE, source, counter.counted(BY_SOURCE, now)):
            return
    logger.warning("a failed login could not be counted against its source")


def _notice_if_due(counter: _Counter, attempt: Failures, owner: User | None, now: datetime) -> None:
    """Mark the counter noticed and, if its address has an account with a password,
    tell its owner, in one write. Unknown addresses are marked too, by the same kind of
    write, so that this attempt takes as long for them."""
    failures = attempt
    for _ in range(_WRITE_TRIES):
        if not failures.notice_due(BY_ADDRESS, now):
            return
        notice = (
            ()
            if owner is None
            else (
                outbox_op(
                    "account.login_throttled",
                    {"user_id": owner.id, "failures": failures.level(BY_ADDRESS, now)},
                    now=now,
                ),
            )
        )
        if login_guard.save(counter.kind, counter.key, failures.noticed(now), with_ops=notice):
            if owner is not None:
                logger.warning("login backoff reached: owner told", extra={"user_id": owner.id})
            return
        failures = login_guard.failures(counter.kind, counter.key)
