"""webhook_dispatcher: organizer webhook deliveries.

Its queue (fed by its own rule on the bus) brings each domain event, delivered to every
endpoint that wants it; a schedule every minute makes the retries that came due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.observability import logger, metrics, trace_handler
from admitone.services.webhooks import Clock, dispatch, retry_due
from admitone.services.wiring import ports

processor = ReportingBatchProcessor(event_type=EventType.SQS)
# Room to record the last attempt before Lambda's own timeout.
_SAFETY = timedelta(seconds=8)


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    clock = Clock(
        time_left=lambda: timedelta(milliseconds=context.get_remaining_time_in_millis()) - _SAFETY
    )

    def record_handler(record: SQSRecord) -> None:
        dispatch(record.json_body, clock, envelopes=ports().envelopes)

    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    return {"retried": retry_due(clock, envelopes=ports().envelopes)}
