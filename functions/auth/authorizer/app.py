"""The HttpApi's Lambda REQUEST authorizer: describes the bearer token for the route."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, trace_handler
from admitone.services.authorize import authorize


@trace_handler
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayAuthorizerEventV2(event)
    decision = authorize(request.headers.get("authorization"))
    return {"isAuthorized": True, "context": decision}
