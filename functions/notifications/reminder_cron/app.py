"""reminder_cron (every 15 minutes): registration reminders and the day-before event
reminder (RULES §15), each sent once whatever runs overlap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, metrics, trace_handler
from admitone.services.reminders import remind


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sent = remind(datetime.now(UTC))
    logger.info("reminders run", extra={"outcomes": dict(sent)})
    return {"outcomes": dict(sent)}
