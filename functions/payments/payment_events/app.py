"""Stripe events from the FIFO queue (one group per PaymentIntent), applied to payments
and orders; a succeeded payment issues the order's tickets exactly once.

Partial batch responses: a record that fails is reported and retried (after 5 attempts
the queue dead-letters it and the alarm fires), with the later records of its group
(its PaymentIntent) so that they stay in order; other groups of the batch go on. When
every record failed, the invocation fails and SQS redelivers the batch.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingSqsFifoPartialProcessor
from admitone.observability import logger, metrics, trace_handler
from admitone.services.payments import apply_stripe_event

processor = ReportingSqsFifoPartialProcessor(skip_group_on_error=True)


def apply_record(record: SQSRecord) -> None:
    apply_stripe_event(json.loads(record.body))


@trace_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=apply_record, processor=processor, context=context
    )
