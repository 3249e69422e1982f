"""Every 5 minutes: reconcile orders and payments with Stripe (RULES §8)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, metrics, trace_handler
from admitone.services.reconcile import reconcile
from admitone.services.wiring import ports


@trace_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    del event, context  # the schedule's event carries nothing we use
    return reconcile(ports(), datetime.now(UTC))
