"""release_escrows: a funded resale escrow is released after its cooling period, and one
never paid is let go (services/escrow_release.py), from the ``escrow.funded`` and
``escrow.created`` domain events its EventBridge rule routes to its queue, which delays
each by the cooling period.

SQS batch with partial failures: a release not yet due (the clock ran ahead of the
queue's delay) or one that met a busy store or Stripe away is redelivered after the
visibility timeout; after 5 receives it waits in the dead-letter queue (alarmed).
Delivery is at least once; an escrow no longer funded is left as it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.events import SCHEMAS
from admitone.observability import logger, metrics, trace_handler
from admitone.services.escrow_release import Release, release_escrow
from admitone.services.wiring import ports

processor = ReportingBatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    event = json.loads(record.body)
    # escrow.created (let go if never paid) or escrow.funded (released): both name it.
    data = SCHEMAS[str(event["detail-type"])].model_validate(event["detail"]["data"])
    escrow_id = str(data.model_dump()["escrow_id"])
    logger.append_keys(escrow_id=escrow_id, domain_event_id=event["detail"]["event_id"])
    outcome = release_escrow(
        ports(),
        escrow_id,
        cooling=timedelta(seconds=settings().resale_cooling_seconds),
        now=datetime.now(UTC),
    )
    logger.info("escrow release", extra={"outcome": outcome.value})
    if outcome is Release.NOT_DUE:
        raise DependencyUnavailable("The escrow's cooling period has not passed; retried.")


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
