"""settlement_cron (every 15 minutes): the proceeds of events that ended 48 h ago move
from pending to available (RULES §10), each event once whatever runs overlap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, metrics, trace_handler
from admitone.services.venue_money import settle_due


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settled = settle_due(datetime.now(UTC))
    logger.info("settlement run", extra={"events_settled": settled})
    return {"events_settled": settled}
