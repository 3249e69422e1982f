"""transfer_payouts: a recorded payout's Stripe Connect transfer to its payee's connected
account (services/payout_transfers.py), from the ``payout.requested`` domain event its
EventBridge rule routes to its queue; the payout's id is Stripe's idempotency key.

SQS batch with partial failures: a transfer that met Stripe away or a busy store is
redelivered after the visibility timeout; after 5 receives it waits in the dead-letter
queue (alarmed). Delivery is at least once; a payout paid or failed already is left as
it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.batch import ReportingBatchProcessor
from admitone.domain.events import PayoutRequested
from admitone.domain.payouts import Payee, PayeeKind
from admitone.observability import logger, metrics, trace_handler
from admitone.services.payout_transfers import transfer_payout
from admitone.services.wiring import ports

processor = ReportingBatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    event = json.loads(record.body)
    data = PayoutRequested.model_validate(event["detail"]["data"])
    logger.append_keys(payout_id=data.payout_id, domain_event_id=event["detail"]["event_id"])
    payee = Payee(PayeeKind(data.payee_kind), data.payee_id)
    outcome = transfer_payout(ports(), payee, data.payout_id, now=datetime.now(UTC))
    logger.info("payout transfer", extra={"outcome": outcome.value})


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
