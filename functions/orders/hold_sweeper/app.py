"""Every minute: unpaid orders past their hold expire and their seats return."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, metrics, trace_handler
from admitone.services.hold_sweeper import sweep
from admitone.services.wiring import ports


@trace_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    del event, context  # the schedule's event carries nothing we use
    return {outcome.value: count for outcome, count in sweep(ports(), datetime.now(UTC)).items()}
