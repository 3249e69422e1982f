"""Publishing outbox items to the bus (RULES §7), at least once, in any arrival order.

The table's stream brings each new item within a second; a sweep every minute (and
reconcile's check 2) brings whatever the stream missed or a failure postponed. Each
item stands alone: the items of one transaction may arrive apart and interleaved, and
nothing here waits for its siblings.

A failed publish is recorded on the item (attempts + 1, next attempt after the RULES
backoff). Short waits are spent in the same invocation while its time allows; longer
ones are left to the sweep. The fifth failure dead-letters the item and raises the
``OutboxDeadLettered`` metric (alarmed in the template); nothing resets it silently.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.outbox import is_exhausted, retry_delay
from admitone.observability import logger, metrics
from admitone.ports import Ports

LEASE = timedelta(seconds=30)
SWEEP_LIMIT = 200


class Published(StrEnum):
    PUBLISHED = "published"
    SKIPPED = "skipped"  # published already, dead, leased elsewhere, or not yet due
    POSTPONED = "postponed"  # failed; the next attempt is scheduled
    DEAD = "dead"


def publish(
    ports: Ports,
    outbox_id: str,
    *,
    time_left: Callable[[], timedelta] = lambda: timedelta(0),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Published:
    """Publish one item; retry here while the next wait fits in ``time_left()``."""
    outbox = ports.store.outbox
    while True:
        now = clock()
        item = outbox.lease(outbox_id, now=now, until=now + LEASE)
        if item is None:
            return Published.SKIPPED
        try:
            ports.bus.publish(item.event_type, item.detail)
        except DependencyUnavailable as error:
            failure = str(error)
            attempts = item.attempts + 1
            if is_exhausted(attempts):
                outbox.dead_letter(outbox_id, error=failure, now=now)
                logger.error("outbox item dead-lettered", extra={"outbox_id": outbox_id})
                _count("OutboxDeadLettered")
                return Published.DEAD
            wait = retry_delay(attempts, random.uniform(-1.0, 1.0))  # noqa: S311 - jitter, not a secret
            outbox.record_failure(outbox_id, error=failure, retry_at=now + wait)
            logger.warning(
                "outbox publish failed", extra={"outbox_id": outbox_id, "attempts": attempts}
            )
            _count("OutboxRetried")
            if wait >= time_left():
                return Published.POSTPONED
            time.sleep(wait.total_seconds())
            continue
        # False if our lease ran out and another publisher marked it first: so be it.
        outbox.mark_published(outbox_id, now=clock())
        _count("OutboxPublished")
        return Published.PUBLISHED


def sweep(
    ports: Ports,
    *,
    occurred_before: datetime | None = None,
    time_left: Callable[[], timedelta] = lambda: timedelta(0),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Counter[Published]:
    """Publish the pending items that are due (optionally only the old ones)."""
    now = clock()
    outcomes = Counter[Published]()
    for item in ports.store.outbox.pending(limit=SWEEP_LIMIT, occurred_before=occurred_before):
        if item.is_due(now):
            outcomes[publish(ports, item.id, time_left=time_left, clock=clock)] += 1
    return outcomes


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
