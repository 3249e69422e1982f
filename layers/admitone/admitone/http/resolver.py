"""The shared HTTP API resolver: validation on, every error leaves as problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.domain.errors import DomainError
from admitone.http import problems
from admitone.http.bodies import read_json_bodies
from admitone.http.principal import authenticate
from admitone.http.rate_limiting import rate_limit
from admitone.observability import logger, metrics, report_error, trace_handler

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _domain_error(error: DomainError) -> Response[str]:
    logger.info("request refused", extra={"code": error.code})
    return problems.from_domain_error(error)


def _invalid_request(error: RequestValidationError) -> Response[str]:
    return problems.from_validation_errors(error.errors())


def _no_route(_: Exception) -> Response[str]:
    return problems.problem_response(
        status=404, code="ROUTE_NOT_FOUND", title="Not found", detail="No such route."
    )


def _unexpected(error: Exception) -> Response[str]:
    # The last line of defence: a bug must still answer problem+json without
    # leaking a stack trace; the trace goes to the log and to Sentry instead
    # (answered here, it never reaches the Lambda integration on its own).
    logger.exception("unhandled error")
    report_error(error)
    return problems.problem_response(
        status=500,
        code="INTERNAL_ERROR",
        title="Internal error",
        detail="Something went wrong on our side; it has been logged.",
    )


def http_resolver() -> APIGatewayHttpResolver:
    """A resolver for one function's routes, with the problem+json error mapping installed."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.not_found(_no_route)
    app.exception_handler(Exception)(_unexpected)
    # Rate limits before authentication: requests with bad tokens count too. (Powertools'
    # request validation runs before both: a malformed request is refused uncounted.)
    app.use(middlewares=[rate_limit, authenticate])
    read_json_bodies(app)  # in Powertools' request validation, which runs before app.use's
    return app


def http_handler(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The Lambda entry point of an HTTP function: logging context, metrics, the resolver."""

    @trace_handler
    # clear_state: keys appended for one request (user_id ...) must not reach the next.
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
    )
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
