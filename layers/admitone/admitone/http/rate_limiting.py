"""Rate limiting middleware: every route's counters are checked before its handler runs.

Install once on the shared resolver: ``app.use(middlewares=[rate_limit])``. Over a
limit -> 429 problem+json ``RATE_LIMITED`` with ``Retry-After``. When the counters
cannot be reached, families that guard secrets or money refuse with 503
``DEPENDENCY_UNAVAILABLE``; the others let the request through and say so (warning
log + ``RateLimitUnchecked`` metric). Raw IPs, user ids and device tokens are never
logged.

Routes limited per device (scans) are counted by ``charge_device`` once the route's
device check (``http/device_auth.py``) has run: per device when the device
authenticated, per source IP otherwise. ``X-Device-Token`` is never a counter key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters.dynamo import rate_counters
from admitone.domain.errors import DependencyUnavailable, DomainError
from admitone.domain.idempotency import KEY_HEADER as IDEMPOTENCY_KEY_HEADER
from admitone.domain.rate_limits import (
    Charge,
    Client,
    Family,
    Limit,
    charges_for,
    counted_after_device_check,
    fails_closed,
    ip_client_key,
    seconds_until_window_ends,
)
from admitone.http import problems
from admitone.observability import logger, metrics

RATE_LIMITED = "RATE_LIMITED"
DEVICE_HEADER = "X-Device-Token"
# Marks a request as counted in the resolver's per-request context (cleared per event).
_COUNTED = "rate_limit_counted"
_DEFERRED = "rate_limit_deferred"  # charges the idempotency guard counts with its record
_AWAITING_DEVICE = "rate_limit_awaiting_device"  # the client of a device-counted request


def clock() -> datetime:
    """The moment a request is counted at (tests replace it to move between windows)."""
    return datetime.now(UTC)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _authenticated_user(request_context: Mapping[str, Any]) -> str | None:
    context = _mapping(_mapping(request_context.get("authorizer")).get("lambda"))
    # The authorizer lets every request through and says whether its token is valid
    # (services/authorize.py); only a verified `sub` is an identity to count by.
    if context.get("authenticated") is not True:
        return None
    sub = context.get("sub")
    return sub if isinstance(sub, str) and sub else None


def _header(raw_event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in _mapping(raw_event.get("headers")).items():
        if str(key).lower() == wanted and isinstance(value, str) and value:
            return value
    return None


def device_token(raw_event: Mapping[str, Any]) -> str | None:
    """The ``X-Device-Token`` the request presents: a credential to check, not a client."""
    return _header(raw_event, DEVICE_HEADER)


def client_of(raw_event: Mapping[str, Any]) -> Client:
    """Who calls, as far as an HTTP API (payload 2.0) event tells before any check: the
    source IP and the user the authorizer verified. The device is known only once the
    route has authenticated it (``charge_device``)."""
    request_context = _mapping(raw_event.get("requestContext"))
    # The TCP peer API Gateway saw. X-Forwarded-For is not used: any client can write it.
    source_ip = _mapping(request_context.get("http")).get("sourceIp")
    return Client(
        ip=ip_client_key(source_ip) if isinstance(source_ip, str) and source_ip else None,
        user=_authenticated_user(request_context),
    )


def _count_in_metrics(name: str, limit: Limit) -> None:
    # The family goes in as metadata, not as a dimension: dimensions are shared by every
    # metric of the invocation, and a let-through request goes on to its handler, whose
    # business metrics must not be split by rate-limit family.
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="rate_limit_family", value=str(limit.family))


def _too_many_requests(limit: Limit, retry_after: int) -> Response[str]:
    _count_in_metrics("RateLimited", limit)
    return problems.problem_response(
        status=429,
        code=RATE_LIMITED,
        title="Too many requests",
        detail=(
            f"The {limit.family} rate limit ({limit.count} per {limit.window_seconds} s "
            f"per {limit.per}) is used up; retry in {retry_after} s."
        ),
        headers={"Retry-After": str(retry_after)},
        extra={"family": str(limit.family)},
    )


def rate_limit(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Count the request against each limit of its route; refuse at the first one used up.

    A payment route's request that carries an ``Idempotency-Key`` is counted later, by
    the idempotency guard, in the same transaction that creates its idempotency record
    (adapters/idempotency_records.py): one round trip for all of it. Its payment limits
    count only if the request runs (a client retrying one payment, a replay or a
    duplicate still in progress, has made one payment attempt, not many); its other
    limits count every request all the same (``charge_uncounted``). Should the guard not
    take them (the request refused before it: a bad token, a malformed body), those are
    counted once the request is answered, its payment limits not.
    """
    # Installed twice (on the shared resolver and again by a function), a request would
    # count twice and every limit would silently halve.
    if app.context.get(_COUNTED):
        return next_middleware(app)
    app.context[_COUNTED] = True
    raw_event = app.current_event.raw_event
    route_key = str(raw_event.get("routeKey", ""))
    if counted_after_device_check(route_key):
        return _after_device_check(app, next_middleware, client_of(raw_event))
    now = clock()
    charges = charges_for(route_key, client_of(raw_event))
    if _header(raw_event, IDEMPOTENCY_KEY_HEADER) and any(
        c.limit.family is Family.PAYMENT for c in charges
    ):
        app.context[_DEFERRED] = (tuple(charges), now)
        try:
            return next_middleware(app)
        finally:
            _count_leftovers(app, route_key)
    refused = _charge(charges, route_key, now)
    return refused if refused is not None else next_middleware(app)


def _count_leftovers(app: APIGatewayHttpResolver, route_key: str) -> None:
    """Count deferred charges no guard took (a request refused before it ran is no payment
    attempt): the request is answered, so a full counter refuses only the next one."""
    left = app.context.pop(_DEFERRED, None)
    if left:
        charges, now = left
        other = [c for c in charges if c.limit.family is not Family.PAYMENT]
        if _charge(other, route_key, now) is not None:
            logger.info("rate limit used up by a request already answered")


def take_deferred(app: APIGatewayHttpResolver) -> tuple[tuple[Charge, ...], datetime]:
    """The charges ``rate_limit`` deferred to the idempotency guard (once), and the moment
    they are counted at; none (and now) when nothing was deferred."""
    deferred = app.context.pop(_DEFERRED, None)
    return deferred if deferred else ((), clock())


def charge_uncounted(
    app: APIGatewayHttpResolver, charges: Sequence[Charge], now: datetime
) -> Response[str] | None:
    """Count, on their own, the limits every request counts against (not payment
    attempts) when the guard's record was not written (a replay, a duplicate in
    progress, a reused key); a 429 if one is used up."""
    other = [c for c in charges if c.limit.family is not Family.PAYMENT]
    return _charge(other, _route(app), now) if other else None


def refusal(app: APIGatewayHttpResolver, charge: Charge, now: datetime) -> Response[str]:
    """The 429 of a counter found full (counted with the idempotency record)."""
    return _refused(charge, _route(app), now)


def _route(app: APIGatewayHttpResolver) -> str:
    return str(app.current_event.raw_event.get("routeKey", ""))


def _after_device_check(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware, client: Client
) -> Response[Any]:
    """Run a device-counted route, whose device check calls ``charge_device``. A request
    refused before its device check (an invalid access token) still counts, per IP."""
    app.context[_AWAITING_DEVICE] = client
    try:
        response = next_middleware(app)
    except DomainError:
        refused = charge_device(app, None)
        if refused is not None:
            return refused
        raise
    if app.context.get(_AWAITING_DEVICE) is not None:
        # A route answered without checking a device: count it (late) rather than not.
        logger.warning("device-counted route answered without a device check")
        charge_device(app, None)
    return response


def charge_device(app: APIGatewayHttpResolver, device_id: str | None) -> Response[str] | None:
    """Count a device-counted request (once), now that its device check has run:
    against ``device_id`` when the device authenticated, else against the source IP.
    A 429 when a limit is used up; None otherwise (and on routes counted up front)."""
    client = app.context.pop(_AWAITING_DEVICE, None)
    if not isinstance(client, Client):
        return None
    route_key = str(app.current_event.raw_event.get("routeKey", ""))
    charged = Client(ip=client.ip, user=client.user, device=device_id)
    return _charge(charges_for(route_key, charged), route_key, clock())


def _charge(charges: Sequence[Charge], route_key: str, now: datetime) -> Response[str] | None:
    for charge in charges:
        limit = charge.limit
        try:
            counted = rate_counters.try_count_hit(limit, charge.client_key, now=now)
        except DependencyUnavailable as error:
            log_keys = {"family": limit.family, "route": route_key, "cause": repr(error.__cause__)}
            if fails_closed(limit.family):
                logger.warning("rate limit unavailable: request refused", extra=log_keys)
                return problems.from_domain_error(error)
            # RULES §11: a check is never skipped silently.
            logger.warning("rate limit unavailable: request let through", extra=log_keys)
            _count_in_metrics("RateLimitUnchecked", limit)
            continue
        if not counted:
            return _refused(charge, route_key, now)
    return None


def _refused(charge: Charge, route_key: str, now: datetime) -> Response[str]:
    limit = charge.limit
    retry_after = seconds_until_window_ends(now, limit.window_seconds)
    logger.info(
        "rate limited",
        extra={
            "family": limit.family,
            "route": route_key,
            "client": rate_counters.pseudonym(limit, charge.client_key),
            "retry_after": retry_after,
        },
    )
    return _too_many_requests(limit, retry_after)
