"""Client idempotency for money-moving POSTs (RULES §5), on Powertools idempotency.

A route opts in with one route middleware, a fresh one per route::

    @app.post("/orders", middlewares=[idempotent_route()])
    def post_order(request: Annotated[PlaceOrderRequest, Body()]) -> tuple[OrderView, int]:
        scope = idempotency_scope(app)  # for Stripe: scope.stripe_key("payment_intent.create")
        ...

It runs after request validation and authentication (Powertools runs route middlewares
after both), so a malformed body or a bad token never creates a record. Then:

- no principal -> 401; no ``Idempotency-Key`` -> 400 ``IDEMPOTENCY_KEY_MISSING``; a bad
  one -> 400 ``IDEMPOTENCY_KEY_INVALID`` (domain/idempotency.py has the rules);
- the record is keyed on (caller, route key, Idempotency-Key) only as a digest:
  ``PK = IDEMPOTENCY#<sha256(JSON [user id, route key, key])>``, ``SK = IDEMPOTENCY``, one
  partition per record (Powertools' own composite layout would put every record of a
  function under one partition key); ``expires_at`` = +24 h, the table's TTL attribute;
- the first request runs the route; its response (status, headers, body as sent) is
  stored, including a refusal the route raised as a ``DomainError`` (a 409 SOLD_OUT is
  that request's answer); the same request again gets it back byte for byte, with
  ``Idempotent-Replayed: true``; a different path, query or body -> 422
  ``IDEMPOTENCY_KEY_REUSED``; while the first still runs -> 409 ``DUPLICATE_IN_PROGRESS``
  with ``Retry-After: 1``;
- a 5xx, 408, 423 or 429, or an exception, is not stored: the route raises inside the
  Powertools function (which then deletes the record) and the response is handed back
  outside it; a retry with the same key runs again;
- the store unreachable before the route ran -> 503 ``DEPENDENCY_UNAVAILABLE`` (no
  guarantee, no money moved); after it ran -> the route's own response (it happened),
  and the record stays in progress until the invocation's deadline, then frees the key.

Each ``idempotent_route()`` builds its own persistence layer on its first request (the
table name from ``settings()``), never at import: a persistence layer keeps the first
configuration it sees, so one shared by several decorated uses can skip idempotency.
Cookies are not stored (money-moving responses set none).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import BaseModel, ConfigDict

from admitone.adapters import idempotency_records
from admitone.adapters.idempotency_records import RECORD_SORT_KEY, CounterFull
from admitone.domain.errors import DependencyUnavailable, DomainError
from admitone.domain.idempotency import (
    KEY_HEADER,
    REPLAY_WINDOW_SECONDS,
    DuplicateInProgress,
    IdempotencyKeyReused,
    IdempotencyScope,
    is_kept,
    parse_idempotency_key,
    request_fingerprint,
    stripe_idempotency_key,
)
from admitone.domain.rate_limits import Charge
from admitone.http import problems, rate_limiting
from admitone.http.principal import principal
from admitone.observability import logger, metrics

__all__ = [
    "RECORD_PREFIX",
    "RECORD_SORT_KEY",
    "REPLAYED_HEADER",
    "IdempotencyGuard",
    "idempotency_scope",
    "idempotent_route",
    "stripe_idempotency_key",
]

RECORD_PREFIX = "IDEMPOTENCY"
REPLAYED_HEADER = "Idempotent-Replayed"
RETRY_IN_PROGRESS_SECONDS = 1
_SCOPE = "idempotency_scope"


class StoredResponse(BaseModel):
    """The response as the record keeps it; the body exactly as the client received it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: int
    headers: dict[str, str | list[str]]
    body: str | None
    base64: bool = False
    compress: bool | None = None

    @classmethod
    def of(cls, response: Response[Any]) -> StoredResponse:
        body, is_base64 = _body_text(response.body)
        return cls(
            status=response.status_code,
            headers=dict(response.headers),
            body=body,
            base64=is_base64,
            compress=response.compress,
        )

    def body_value(self) -> str | bytes | None:
        if self.body is not None and self.base64:
            return base64.b64decode(self.body)
        return self.body

    def response(self, *, replayed: bool) -> Response[Any]:
        headers = dict(self.headers)
        if replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(
            status_code=self.status,
            body=self.body_value(),
            headers=headers,
            compress=self.compress,
        )


def _body_text(body: Any) -> tuple[str | None, bool]:
    if body is None or isinstance(body, str):
        return body, False
    if isinstance(body, bytes):
        return base64.b64encode(body).decode("ascii"), True
    # What the resolver would send: after response validation the body is plain JSON
    # data, and the resolver's default serializer is this one.
    return json.dumps(body, separators=(",", ":"), cls=Encoder), False


class _NotKept(Exception):  # a signal to Powertools, not an error
    """Raised inside the idempotent function so that Powertools deletes the record."""


@dataclass
class _Run:
    """What the route did in this invocation, if it ran."""

    response: Response[Any] | None = None


def _run_route(
    *,
    request: Mapping[str, Any],
    app: APIGatewayHttpResolver,
    next_middleware: NextMiddleware,
    run: _Run,
) -> dict[str, Any]:
    del request  # the scope and the fingerprint: Powertools hashes them
    try:
        response = next_middleware(app)
    except DomainError as error:
        # A refusal is this request's answer too: kept and replayed like a success.
        logger.info("request refused", extra={"code": error.code})
        response = problems.from_domain_error(error)
    stored = StoredResponse.of(response)
    # The first answer is built like every replay, from what is stored: byte-identical.
    response.body = stored.body_value()
    run.response = response
    if not is_kept(stored.status):
        raise _NotKept
    return stored.model_dump()


def _route_key(app: APIGatewayHttpResolver) -> str:
    event = app.current_event
    route_key = event.raw_event.get("routeKey")
    if isinstance(route_key, str) and route_key and route_key != "$default":
        return route_key
    return f"{event.http_method} {event.path}"


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def _in_progress() -> Response[str]:
    _count("IdempotencyInProgress")
    response = problems.from_domain_error(
        DuplicateInProgress(
            "A request with this Idempotency-Key is still being processed; "
            "retry shortly to get its result."
        )
    )
    response.headers["Retry-After"] = str(RETRY_IN_PROGRESS_SECONDS)
    return response


class IdempotencyGuard(BaseMiddlewareHandler[APIGatewayHttpResolver]):
    """The route middleware; build one per route with ``idempotent_route()``."""

    def __init__(self) -> None:
        self.config = IdempotencyConfig(
            event_key_jmespath="scope",
            payload_validation_jmespath="request",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=REPLAY_WINDOW_SECONDS,
            hash_function="sha256",
        )
        self._lock = threading.Lock()
        self._persistence: BasePersistenceLayer | None = None
        self._guarded: Callable[..., Any] | None = None

    @property
    def persistence_layer(self) -> BasePersistenceLayer | None:
        """This route's own persistence layer; ``None`` until its first request."""
        return self._persistence

    def _idempotent_run(self) -> Callable[..., Any]:
        with self._lock:
            if self._guarded is None:
                self._persistence = idempotency_records.persistence_layer()
                self._guarded = cast(
                    "Callable[..., Any]",
                    idempotent_function(
                        _run_route,
                        data_keyword_argument="request",
                        persistence_store=self._persistence,
                        config=self.config,
                        key_prefix=RECORD_PREFIX,
                    ),
                )
            return self._guarded

    def handler(
        self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware
    ) -> Response[Any]:
        caller = principal(app).user_id
        event = app.current_event
        scope = IdempotencyScope(
            caller=caller,
            route=_route_key(app),
            key=parse_idempotency_key(event.headers.get(KEY_HEADER)),
        )
        app.context[_SCOPE] = scope
        fingerprint = request_fingerprint(
            path=event.path, query=event.query_string_parameters, body=event.body
        )
        guarded = self._idempotent_run()
        # Without it, a run killed by a timeout would hold the key for 24 h instead of
        # until the invocation's deadline.
        self.config.register_lambda_context(app.lambda_context)
        run = _Run()
        # The request's rate limits (http/rate_limiting.py) are counted in the record's
        # own write: one round trip, and only a request that runs counts as a payment
        # attempt (a replay or a duplicate in progress is the same attempt).
        deferred, now = rate_limiting.take_deferred(app)
        try:
            with idempotency_records.counting_with_the_record(deferred, now=now) as counting:
                stored = guarded(
                    request={
                        "scope": [scope.caller, scope.route, scope.key],
                        "request": fingerprint,
                    },
                    app=app,
                    next_middleware=next_middleware,
                    run=run,
                )
        except _NotKept:
            return cast("Response[Any]", run.response)
        except IdempotencyValidationError:
            return _reused(app, deferred, now)
        except (IdempotencyAlreadyInProgressError, IdempotencyInconsistentStateError):
            return rate_limiting.charge_uncounted(app, deferred, now) or _in_progress()
        except IdempotencyPersistenceLayerError as error:
            return _store_failed(app, error, run, now)
        if run.response is not None:
            return run.response
        return _replayed(app, stored, counted=counting.counted, deferred=deferred, now=now)


def _replayed(
    app: APIGatewayHttpResolver,
    stored: Any,
    *,
    counted: bool,
    deferred: Sequence[Charge],
    now: datetime,
) -> Response[Any]:
    """The stored answer again, once the request counted as one (not as a payment)."""
    refused = None if counted else rate_limiting.charge_uncounted(app, deferred, now)
    if refused is not None:
        return refused
    _count("IdempotentReplay")
    return StoredResponse.model_validate(stored).response(replayed=True)


def _reused(
    app: APIGatewayHttpResolver, deferred: Sequence[Charge], now: datetime
) -> Response[Any]:
    """422 ``IDEMPOTENCY_KEY_REUSED`` (raised), once the request counted as one."""
    _count("IdempotencyKeyReused")
    refused = rate_limiting.charge_uncounted(app, deferred, now)
    if refused is not None:
        return refused
    raise IdempotencyKeyReused(
        "This Idempotency-Key was already used for a different request "
        "(path, query or body); use a new key for a new request."
    ) from None


def _store_failed(
    app: APIGatewayHttpResolver, error: IdempotencyPersistenceLayerError, run: _Run, now: datetime
) -> Response[Any]:
    """A counter full (429), the route's own response if it ran, else 503."""
    if isinstance(error.__cause__, CounterFull):
        return rate_limiting.refusal(app, error.__cause__.charge, now)
    if run.response is not None:
        logger.warning("idempotency record not completed: the route's response is sent")
        return run.response
    logger.exception("idempotency store unavailable: request refused")
    raise DependencyUnavailable(
        "The request could not be made safe to retry; retry shortly with the same Idempotency-Key."
    ) from error


def idempotent_route() -> IdempotencyGuard:
    """A guard for one route: ``@app.post(path, middlewares=[idempotent_route()])``."""
    return IdempotencyGuard()


def idempotency_scope(app: APIGatewayHttpResolver) -> IdempotencyScope:
    """The current request's (caller, route, key), set by the route's guard."""
    scope = app.context.get(_SCOPE)
    if not isinstance(scope, IdempotencyScope):
        raise RuntimeError("this route has no idempotent_route() middleware")
    return scope
