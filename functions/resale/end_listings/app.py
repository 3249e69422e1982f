"""end_listings: resale listings end by themselves when their ticket is scanned,
refunded, transferred or voided, or their event is cancelled, and the open escrows of a
voided ticket or a cancelled event are let go uncaptured at once, from the domain events
its EventBridge rule routes to its queue (services/listing_ends.py, escrow_stops.py).

SQS batch with partial failures: a record that met a busy store is redelivered (after 5
receives it waits in the dead-letter queue). Delivery is at least once; ending a
listing that is no longer active does nothing, so a record seen twice is harmless."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.domain.events import SCHEMAS
from admitone.observability import logger, metrics, trace_handler
from admitone.services.listing_ends import on_domain_event
from admitone.services.wiring import ports

processor = ReportingBatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    event = json.loads(record.body)
    event_type = str(event["detail-type"])
    data = SCHEMAS[event_type].model_validate(event["detail"]["data"]).model_dump()
    logger.append_keys(detail_type=event_type, domain_event_id=event["detail"]["event_id"])
    ended = on_domain_event(ports(), event_type, data, now=datetime.now(UTC))
    logger.info("escrows stopped and listings ended", extra={"count": ended})


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
