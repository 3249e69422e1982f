"""mint_worker: ticket NFTs from the ``order.paid`` events its EventBridge rule routes to
its queue (SPEC §11, RULES §17), minted in batches on the EVM chain, once per ticket.

The delivery is handled as one batch, not message by message: tickets of several orders
share a transaction, urgent ones first. A message whose tickets are not all minted yet
is reported failed and comes back after its backoff (5 s, doubling); tickets given up on
after 3 attempts are ``failed`` with the reason, and their message goes to the mint DLQ.
The answer is a partial batch response (ReportBatchItemFailures) built from the outcome,
not Powertools' per-record processor, which would mint each message on its own: the
chain failing on one order's tickets (an earlier attempt's receipt unreadable, a send
refused) returns that order's message alone."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from admitone.observability import logger, metrics, trace_handler
from admitone.services import nft_minting
from admitone.services.wiring import minting, ports


@trace_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deliveries = [
        nft_minting.Delivery(
            record.message_id, record.body, record.event_source_arn, record.receipt_handle
        )
        for record in SQSEvent(event).records
    ]
    outcome = nft_minting.mint_deliveries(deliveries, minting(), ports().queues)
    logger.info(
        "mint delivery handled",
        extra={
            "minted": len(outcome.minted),
            "failed": len(outcome.failed),
            "retried": len(outcome.retried),
            "skipped": len(outcome.skipped),
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in outcome.retried]}
