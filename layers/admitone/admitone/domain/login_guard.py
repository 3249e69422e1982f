"""Login backoff (issue 16): how long a login must wait, given an address's or a
source's recent failures. It replaces RULES §16's "lockout after 10 failures for
1 hour", which let anyone lock anyone out and told a guesser which addresses exist.

Contract:

- Failures are counted per normalized e-mail address, whether or not an account uses
  it (so an unknown address is answered exactly like a real one), and per source (the
  client IP; IPv6 by its /64). Nothing is ever locked.
- A counter is a leaky bucket: each failure adds one, and one is forgiven every
  ``forgive_every`` (15 min per address, 5 min per source). A guesser who keeps going
  stays slowed down; an owner who stops typing wrong passwords is forgiven.
- The first ``free`` failures cost nothing (5 per address, 20 per source: many people
  share one office IP). After ``n >= free`` failures the next attempt waits
  ``first_delay * 2 ** (n - free)``, at most ``max_delay``: 1 s doubling to 15 min.
  An attempt inside the wait is refused without its password being checked.
- An address's attempt is counted (as a failure) before its password is checked, so
  that concurrent attempts cannot share one free slot; a correct password then forgets
  the address's failures. A source's failures are counted once known: its concurrency
  is already bounded by the auth rate limit (5/min per IP), and a success does not
  make the other guesses from a shared IP any less suspicious.
- When an address reaches ``free`` failures its owner is told, at most once per
  ``NOTICE_INTERVAL``.
- A source an address was signed in from (successfully, within ``KNOWN_SOURCE_LIFETIME``),
  or that used a live session of its account, is known to that address. A known
  source's attempts at that address are counted on a counter of their own (the address
  policy, per address and source), never on the address's shared one: failures from
  elsewhere do not hold it back, and its own failures slow it down as any address's
  would. Every other source shares the address's counter, as before. An address without
  an account has no known sources, so every source is a stranger to it. The per-source
  counter applies to known sources too.
- A correct password forgets the failures of the counter it was admitted by: an owner
  signing in from a known source leaves the strangers' wait running.
- Known sources are remembered by opaque fingerprints (the store derives them with a
  server-side key), at most ``MAX_KNOWN_SOURCES`` per address, the most recent kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

NOTICE_INTERVAL = timedelta(days=1)
# A sign-in from a source keeps it known this long (each one starts it again).
KNOWN_SOURCE_LIFETIME = timedelta(days=90)
# Homes, offices, phones, travels: a person signs in from a handful of networks in 90
# days; the cap only bounds the item an owner (or a thief with the password) can grow.
MAX_KNOWN_SOURCES = 20
# Using a live session renews a source's note at most this often (refreshes are frequent).
KNOWN_SOURCE_RENEWAL = timedelta(days=1)
# 2**30 s is decades: beyond it the cap has long applied, and the integer stays small.
_MAX_DOUBLINGS = 30


@dataclass(frozen=True)
class Backoff:
    """How one kind of counter forgives and delays."""

    free: int
    forgive_every: timedelta
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta:
        """The wait before the attempt that follows ``failures`` failures."""
        if failures < self.free:
            return timedelta(0)
        doubled: timedelta = self.first_delay * 2 ** min(failures - self.free, _MAX_DOUBLINGS)
        return min(doubled, self.max_delay)


BY_ADDRESS = Backoff(free=5, forgive_every=timedelta(minutes=15))
BY_SOURCE = Backoff(free=20, forgive_every=timedelta(minutes=5))


@dataclass(frozen=True)
class Failures:
    """One counter as stored: ``count`` failures, of which one is forgiven every
    ``forgive_every`` since ``leaking_since``; no attempt before ``retry_at``.
    ``version`` grows with every write (the store's optimistic condition)."""

    count: int = 0
    leaking_since: datetime | None = None
    retry_at: datetime | None = None
    noticed_at: datetime | None = None
    version: int = 0

    def _forgiven(self, policy: Backoff, now: datetime) -> int:
        if self.leaking_since is None or now <= self.leaking_since:
            return 0
        return min(self.count, (now - self.leaking_since) // policy.forgive_every)

    def level(self, policy: Backoff, now: datetime) -> int:
        """The failures that still count at ``now``."""
        return self.count - self._forgiven(policy, now)

    def wait(self, now: datetime) -> timedelta | None:
        """How long an attempt at ``now`` must still wait, or None when it may go ahead."""
        if self.retry_at is None or self.retry_at <= now:
            return None
        return self.retry_at - now

    def counted(self, policy: Backoff, now: datetime) -> Failures:
        """The counter after one more failure at ``now``."""
        forgiven = self._forgiven(policy, now)
        level = self.count - forgiven
        if level == 0 or self.leaking_since is None:
            since = now
        else:  # whole periods forgiven move the reference; a part-period carries over
            since = self.leaking_since + forgiven * policy.forgive_every
        return replace(
            self,
            count=level + 1,
            leaking_since=since,
            retry_at=now + policy.delay_after(level + 1),
            version=self.version + 1,
        )

    def notice_due(self, policy: Backoff, now: datetime) -> bool:
        """Whether the owner is to be told now: enough failures, nobody told lately."""
        if self.level(policy, now) < policy.free:
            return False
        return self.noticed_at is None or now - self.noticed_at >= NOTICE_INTERVAL

    def noticed(self, now: datetime) -> Failures:
        return replace(self, noticed_at=now, version=self.version + 1)

    def forgotten_at(self, policy: Backoff) -> datetime | None:
        """From when the counter no longer matters: every failure forgiven, no wait
        left and the last notice old enough (its store may delete it then)."""
        ends = [
            moment
            for moment in (
                None
                if self.leaking_since is None
                else self.leaking_since + self.count * policy.forgive_every,
                self.retry_at,
                None if self.noticed_at is None else self.noticed_at + NOTICE_INTERVAL,
            )
            if moment is not None
        ]
        return max(ends) if ends else None


def longest_wait(now: datetime, *counters: Failures | None) -> timedelta | None:
    """The longest wait any of ``counters`` imposes at ``now``; None if none does."""
    waits = [wait for c in counters if c is not None and (wait := c.wait(now)) is not None]
    return max(waits) if waits else None


@dataclass(frozen=True)
class KnownSources:
    """The sources an address was signed in from lately: each source's fingerprint and
    the moment it stops being known."""

    until: Mapping[str, datetime] = field(default_factory=dict)

    def knows(self, fingerprint: str, now: datetime) -> bool:
        ends = self.until.get(fingerprint)
        return ends is not None and now < ends

    def stale(self, fingerprint: str, now: datetime) -> bool:
        """Whether ``fingerprint`` is unknown at ``now`` or was last noted
        ``KNOWN_SOURCE_RENEWAL`` ago or more."""
        ends = self.until.get(fingerprint)
        return ends is None or ends - now <= KNOWN_SOURCE_LIFETIME - KNOWN_SOURCE_RENEWAL

    def remembered(self, fingerprint: str, now: datetime) -> KnownSources:
        """After a sign-in from ``fingerprint`` at ``now``: it is known for another
        ``KNOWN_SOURCE_LIFETIME``; lapsed sources are dropped, and beyond the cap the
        ones signed in from longest ago."""
        live = {known: ends for known, ends in self.until.items() if ends > now}
        live[fingerprint] = now + KNOWN_SOURCE_LIFETIME
        newest = sorted(live.items(), key=lambda entry: entry[1], reverse=True)
        return KnownSources(dict(newest[:MAX_KNOWN_SOURCES]))

    def forgotten_at(self) -> datetime | None:
        """From when no source is known any more (its store may delete it then)."""
        return max(self.until.values(), default=None)
