"""notifier: e-mails from the domain events its EventBridge rule routes to its queue.

SQS batch with partial failures: a record whose e-mail could not go out now (SES
throttled, the same e-mail sending elsewhere) is left for redelivery; after 5 receives
the queue moves it to its dead-letter queue. SES refusing a message for good is
logged and dropped: redelivery would not change its answer."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.domain.errors import EmailRejected
from admitone.observability import logger, metrics, trace_handler
from admitone.services import notifier

processor = ReportingBatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    event = json.loads(record.body)
    try:
        outcomes = notifier.notify(event)
    except EmailRejected as rejected:
        logger.error("e-mail refused for good", extra={"code": rejected.detail})
        return
    logger.info("notified", extra={"detail_type": event.get("detail-type"), "outcomes": outcomes})


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
