"""Organizer webhooks (RULES §7): endpoints, and delivering domain events to them.

An organizer subscribes an https URL to event types; every domain event about one of
the organizer's events that is of a subscribed type is POSTed, signed the Standard
Webhooks way (domain/webhooks.py). Each (endpoint, event) is one delivery, recorded
once however often the bus repeats the event; its attempts are logged (30 days). A
failed attempt (no answer, or a non-2xx) is retried on the outbox schedule: 1 s
doubling with jitter, capped at 60 s, 5 attempts; short waits in the same invocation,
the rest by the dispatcher's schedule. The host is resolved once per attempt, every
address it answers is checked, and the POST goes to a checked address (DNS rebinding:
a host may answer a public address to the check and an internal one to the connect).
An attempt without an HTTP answer is logged with a stable reason, never the exception's
text (domain/webhooks.py).

Signing secrets are stored sealed (envelope encryption, ``ports.envelopes``, bound to
their endpoint) and shown once, in clear, in the answer to the endpoint's creation. An
endpoint stored before secrets were sealed still signs with its clear secret, and that
secret is sealed in place at its first delivery since; a secret is never logged.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from admitone.adapters import webhook_http
from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import webhooks as store
from admitone.config import settings
from admitone.domain.accounts import Principal
from admitone.domain.errors import FieldError, NotFound, ValidationFailed
from admitone.domain.events import SCHEMAS
from admitone.domain.ids import Prefix, is_id, new_id
from admitone.domain.outbox import is_exhausted, retry_delay
from admitone.domain.webhooks import (
    DELIVERY_TIMEOUT_SECONDS,
    Endpoint,
    check_url,
    delivery_headers,
    new_secret,
    secret_context,
    url_refusal,
)
from admitone.observability import logger
from admitone.ports.envelopes import Envelopes, is_sealed
from admitone.services.catalog_access import require_organizer

RETRY_BATCH = 100


# ----------------------------------------------------------------- endpoints
def create_endpoint(
    caller: Principal,
    *,
    url: str,
    events: Sequence[str],
    envelopes: Envelopes,
    now: datetime | None = None,
) -> Endpoint:
    """The new endpoint with its secret in clear (stored sealed): shown this once."""
    require_organizer(caller)
    unknown = sorted(set(events) - set(SCHEMAS))
    if unknown:
        raise ValidationFailed(
            "Unknown event types.",
            errors=tuple(
                FieldError(f"events[{list(events).index(name)}]", "not an event type", "UNKNOWN")
                for name in unknown
            ),
        )
    _check(url)
    endpoint = Endpoint(
        id=new_id(Prefix.WEBHOOK_ENDPOINT, now=now),
        owner_id=caller.user_id,
        url=url,
        events=tuple(dict.fromkeys(events)),
        secret=new_secret(),
        created_at=now or datetime.now(UTC),
    )
    sealed = envelopes.seal(endpoint.secret, context=secret_context(endpoint.id))
    store.put_endpoint(replace(endpoint, secret=sealed))
    logger.info("webhook endpoint created", extra={"endpoint_id": endpoint.id})
    return endpoint


def owned_endpoint(endpoint_id: str, caller: Principal) -> Endpoint:
    found = store.endpoint(endpoint_id) if is_id(endpoint_id, Prefix.WEBHOOK_ENDPOINT) else None
    if found is None or not caller.manages(found.owner_id):
        raise NotFound("No such webhook endpoint.")
    return found


def delete_endpoint(endpoint_id: str, caller: Principal) -> None:
    store.delete_endpoint(owned_endpoint(endpoint_id, caller).id)


def deliveries(endpoint_id: str, caller: Principal, *, limit: int) -> list[store.Delivery]:
    return store.deliveries_of(owned_endpoint(endpoint_id, caller).id, limit=limit)


def _check(url: str) -> None:
    check_url(
        url, webhook_http.resolve(url), allow_loopback_http=settings().webhooks_allow_loopback
    )


# ---------------------------------------------------------------- deliveries
@dataclass(frozen=True)
class Clock:
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    time_left: Callable[[], timedelta] = lambda: timedelta(0)
    sleep: Callable[[float], None] = time.sleep


def dispatch(
    bus_event: Mapping[str, Any], clock: Clock | None = None, *, envelopes: Envelopes
) -> int:
    """Deliver one bus event to every endpoint that wants it; how many were new."""
    clock = clock or Clock()
    event_type = str(bus_event["detail-type"])
    detail = bus_event["detail"]
    event_id = detail["data"].get("event_id")
    event = catalog.get_event(event_id) if event_id else None
    if event is None:
        return 0
    body = json.dumps({"type": event_type, **detail}, separators=(",", ":"))
    new = 0
    for endpoint in store.endpoints_of(event.owner_id):
        if not endpoint.wants(event_type):
            continue
        delivery = store.Delivery(endpoint.id, str(detail["event_id"]), event_type, body)
        if store.new_delivery(delivery, now=clock.now()):
            new += 1
            _deliver(_signing(endpoint, envelopes), delivery, clock)
    return new


def retry_due(clock: Clock | None = None, *, envelopes: Envelopes) -> int:
    """Attempt every delivery whose retry is due; how many were attempted."""
    clock = clock or Clock()
    due = store.retries_due(clock.now(), limit=RETRY_BATCH)
    for delivery in due:
        endpoint = store.endpoint(delivery.endpoint_id)
        if endpoint is not None:
            _deliver(_signing(endpoint, envelopes), delivery, clock)
    return len(due)


def _signing(endpoint: Endpoint, envelopes: Envelopes) -> Endpoint:
    """The endpoint with its secret in clear, to sign with; a clear secret stored before
    sealing is sealed in place now."""
    context = secret_context(endpoint.id)
    if is_sealed(endpoint.secret):
        return replace(endpoint, secret=envelopes.open(endpoint.secret, context=context))
    store.seal_secret(
        endpoint.id, endpoint.secret, envelopes.seal(endpoint.secret, context=context)
    )
    logger.info("webhook secret stored in clear sealed", extra={"endpoint_id": endpoint.id})
    return endpoint


def _deliver(endpoint: Endpoint, delivery: store.Delivery, clock: Clock) -> None:
    while True:
        now = clock.now()
        outcome = _attempt(endpoint, delivery, now)
        attempts = delivery.attempts + 1
        if "status_code" in outcome and 200 <= outcome["status_code"] < 300:
            store.record_attempt(delivery, outcome, status=store.DELIVERED, retry_at=None)
            return
        if is_exhausted(attempts):
            store.record_attempt(delivery, outcome, status=store.FAILED, retry_at=None)
            logger.warning("webhook delivery failed for good", extra={"endpoint_id": endpoint.id})
            return
        wait = retry_delay(attempts, random.uniform(-1.0, 1.0))  # noqa: S311 - jitter
        delivery = store.record_attempt(
            delivery, outcome, status=store.PENDING, retry_at=now + wait
        )
        if wait >= clock.time_left():
            return
        clock.sleep(wait.total_seconds())


def _attempt(endpoint: Endpoint, delivery: store.Delivery, now: datetime) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": now.astimezone(UTC).isoformat()}
    addresses = webhook_http.resolve(endpoint.url)
    refusal = url_refusal(
        endpoint.url, addresses, allow_loopback_http=settings().webhooks_allow_loopback
    )
    if refusal is not None:
        entry["error"] = refusal[0]
        return entry
    try:
        entry["status_code"] = webhook_http.post(
            endpoint.url,
            addresses,
            delivery.body,
            delivery_headers(
                endpoint.secret, delivery.message_id, int(now.timestamp()), delivery.body
            ),
            timeout=DELIVERY_TIMEOUT_SECONDS,
        )
    except webhook_http.DeliveryFailed as failed:
        entry["error"] = failed.reason
        # The cause's type only: its text can name internal hosts and addresses.
        logger.info(
            "webhook attempt failed",
            extra={
                "endpoint_id": endpoint.id,
                "reason": failed.reason,
                "cause": type(failed.__cause__).__name__,
            },
        )
    return entry
