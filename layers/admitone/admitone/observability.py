"""Logger, metrics, error reporting and (when asked) tracing for every function.

Every function imports this module at cold start, so this is where the container's
error reporting starts (Sentry, only when ``SENTRY_DSN`` is set) and where the tracer
is made (only when the template turned tracing on). Off, neither sentry_sdk nor the
X-Ray SDK is imported. Never log tokens, card data, passwords or full e-mail addresses.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics

from admitone.config import observability_settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics(namespace="admitone")

# Many invocations legitimately record no business metric (a health check, a read).
warnings.filterwarnings("ignore", message="No application metrics to publish")


class _ErrorReporting:
    """Sentry for this container, or nothing (and no import) without a DSN."""

    def __init__(self) -> None:
        self._sink: ModuleType | None = None

    def start(self) -> None:
        config = observability_settings()
        if not config.sentry_dsn:
            self._sink = None
            return
        from admitone import error_reporting  # noqa: PLC0415  (only with a DSN)

        error_reporting.start(config.sentry_dsn, environment=config.stage, release=config.release)
        self._sink = error_reporting

    def report(self, error: BaseException) -> None:
        if self._sink is None:
            return
        # The invocation as the logger knows it (inject_lambda_context wraps every
        # handler): the same ids the log lines carry, wherever the SDK runs.
        keys = logger.get_current_keys()
        tags = {
            tag: str(keys[key])
            for tag, key in (
                ("function_name", "function_name"),
                ("aws_request_id", "function_request_id"),
                ("correlation_id", "correlation_id"),
            )
            if keys.get(key)
        }
        self._sink.report(error, tags=tags)


error_reporting = _ErrorReporting()


def report_error(error: BaseException) -> None:
    """Send an error that was caught (and answered) to Sentry; a no-op without a DSN."""
    error_reporting.report(error)


@cache
def tracer() -> Tracer | None:
    """Powertools' tracer when tracing is on, else None: Tracer() imports the X-Ray SDK
    (and patches boto3) even when disabled, a cost no function pays unless asked."""
    if not observability_settings().tracing:
        return None
    from aws_lambda_powertools import Tracer  # noqa: PLC0415  (X-Ray SDK: only when on)

    return Tracer()


def trace_handler[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """``capture_lambda_handler`` when tracing is on; the handler itself when off."""
    active = tracer()
    if active is None:
        return handler
    return cast("Handler", active.capture_lambda_handler(handler))


error_reporting.start()
tracer()
