"""Which gate device is calling: ``X-Device-Token``, authenticated before anything else.

Install on each device route: ``@app.get(..., middlewares=[device_authenticated])``;
the handler then reads ``paired_device(app)``. The device is authenticated before the
route reads anything (the event included), and the request is counted against the
route's rate limits right after (http/rate_limiting.py ``charge_device``): per device
once it authenticated, per source IP when it did not, so that a client presenting a new
made-up token each time is limited like any other anonymous caller.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from admitone.domain.errors import Unauthenticated
from admitone.domain.gate_access import Device, DeviceTokenInvalid
from admitone.http import problems
from admitone.http.rate_limiting import charge_device, device_token
from admitone.observability import logger
from admitone.services.gate_access import authenticate_device

_DEVICE = "device"


def device_authenticated(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware
) -> Response[Any]:
    try:
        device = authenticate_device(device_token(app.current_event.raw_event))
    except DeviceTokenInvalid as error:
        refused = charge_device(app, None)
        logger.info("device refused", extra={"code": error.code})
        return refused if refused is not None else problems.from_domain_error(error)
    refused = charge_device(app, device.id)
    if refused is not None:
        return refused
    logger.append_keys(device_id=device.id)
    app.context[_DEVICE] = device
    return next_middleware(app)


def paired_device(app: APIGatewayHttpResolver) -> Device:
    """The device ``device_authenticated`` let through."""
    device = app.context.get(_DEVICE)
    if not isinstance(device, Device):  # the route lacks the middleware: a bug, never a 200
        raise Unauthenticated("Pair this device first.")
    return device
