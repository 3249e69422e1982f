"""outbox_drain: publish outbox items to the EventBridge bus.

Two triggers, one job: the table's stream (filtered to new outbox items; partial batch
failures) publishes within a second, and a schedule every minute sweeps whatever is
pending and due (missed by the stream, or postponed by a failure)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.observability import logger, metrics, trace_handler
from admitone.services import outbox_drain
from admitone.services.wiring import ports

processor = ReportingBatchProcessor(event_type=EventType.DynamoDBStreams)
# Leave room to record the outcome before Lambda's own timeout.
_SAFETY = timedelta(seconds=3)


def _time_left(context: LambdaContext) -> timedelta:
    return timedelta(milliseconds=context.get_remaining_time_in_millis()) - _SAFETY


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def record_handler(record: DynamoDBRecord) -> None:
        image = record.dynamodb.new_image if record.dynamodb else None
        if image:
            outbox_drain.publish(
                ports(), str(image["outbox_id"]), time_left=lambda: _time_left(context)
            )

    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    outcomes = outbox_drain.sweep(ports(), time_left=lambda: _time_left(context))
    logger.info("outbox swept", extra={"outcomes": dict(outcomes)})
    return {"swept": {str(k): v for k, v in outcomes.items()}}
