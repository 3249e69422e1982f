"""cancellation_refunds: ends the orders of a cancelled event that await payment (their
PaymentIntents cancelled, their holds given back), then refunds every paid one in full.

Fed by its own EventBridge rule (``event.cancelled``) through its queue, and by itself:
a run refunds pages of orders while it has time, then queues the rest and ends. A run
that dies is redelivered and resumes from the last page finished; each order is
refunded once (services/cancellation_refunds.py). Progress: GET /events/{id}/stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.adapters.queues import CONTINUE, continue_cancellation_refunds
from admitone.batch import ReportingBatchProcessor
from admitone.observability import logger, metrics, trace_handler
from admitone.services.cancellation_refunds import refund_page
from admitone.services.wiring import ports

# Stop starting pages this long before the function's timeout (a page takes seconds).
RESERVE_MILLIS = 60_000

processor = ReportingBatchProcessor(event_type=EventType.SQS)


def _event_id(body: dict[str, Any]) -> str:
    if CONTINUE in body:
        return str(body[CONTINUE])
    return str(body["detail"]["data"]["event_id"])


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    event_id = _event_id(json.loads(record.body))
    logger.append_keys(event_id=event_id)
    while refund_page(ports(), event_id, now=datetime.now(UTC)):
        if lambda_context.get_remaining_time_in_millis() < RESERVE_MILLIS:
            continue_cancellation_refunds(event_id)
            logger.info("cancelled event: more orders to refund, handed on")
            return
    logger.info("cancelled event: every paid order refunded")


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
