"""Making a recorded payout's Stripe Connect transfer (the ``payout.requested`` job).

The payout's ``net`` goes to the payee's connected account under the payout's id as
Stripe's idempotency key: a run that crashed after Stripe made the transfer, run again,
gets the same transfer back, so a payout is transferred exactly once. Then one unit of
work marks it ``paid`` with the transfer's id. Stripe refusing the transfer for good (an
unknown account, one that may not receive transfers), or no account linked any more,
marks it ``failed`` and books the money back into the payee's balance, in one unit of
work. Stripe unreachable: the job's message is retried (then its DLQ and alarm). A
payout no longer ``in_transit`` is left as it is.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from admitone.domain import ledger
from admitone.domain.ids import Prefix, is_id
from admitone.domain.ledger import Transaction
from admitone.domain.payouts import (
    Payee,
    PayeeKind,
    Payout,
    PayoutMoved,
    PayoutStatus,
    TransferRefused,
    payout_failed,
    payout_paid,
)
from admitone.observability import logger, metrics
from admitone.ports import Ports


class Transferred(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    UNCHANGED = "unchanged"  # unknown, or paid or failed already


def transfer_payout(ports: Ports, payee: Payee, payout_id: str, *, now: datetime) -> Transferred:
    store = ports.store
    payout = store.payouts.get(payee, payout_id) if is_id(payout_id, Prefix.PAYOUT) else None
    if payout is None or payout.status is not PayoutStatus.IN_TRANSIT:
        logger.info("payout settled already or unknown", extra={"payout_id": payout_id})
        return Transferred.UNCHANGED
    logger.append_keys(payout_id=payout.id, payee_kind=payee.kind.value)
    account = store.payouts.account(payee)
    if account is None:
        return _fail(ports, payout, reason="no payout account linked", now=now)
    try:
        transfer_id = ports.payments.create_transfer(
            destination=account.account_id,
            amount=payout.net,
            currency=payout.currency,
            idempotency_key=payout.id,
            metadata={
                "payout_id": payout.id,
                "payee_kind": payee.kind.value,
                "payee_id": payee.id,
            },
        )
    except TransferRefused as refused:
        return _fail(ports, payout, reason=str(refused), now=now)
    uow = store.unit_of_work()
    uow.payouts.settle(payout, payout_paid(payout, transfer_id=transfer_id, now=now))
    try:
        uow.commit()
    except PayoutMoved:
        return Transferred.UNCHANGED
    logger.info("payout transferred", extra={"transfer_id": transfer_id, "net": payout.net})
    _count("PayoutsPaid")
    return Transferred.PAID


def _fail(ports: Ports, payout: Payout, *, reason: str, now: datetime) -> Transferred:
    uow = ports.store.unit_of_work()
    uow.payouts.settle(payout, payout_failed(payout, reason=reason, now=now))
    uow.ledger.book(_returned(payout), now=now)
    try:
        uow.commit()
    except PayoutMoved:
        return Transferred.UNCHANGED
    logger.warning("payout failed, money returned", extra={"reason": reason})
    _count("PayoutsFailed")
    return Transferred.FAILED


def _returned(payout: Payout) -> list[Transaction]:
    if payout.payee.kind is PayeeKind.VENUE:
        return ledger.payout_returned(
            payout.payee.id, payout.currency, payout.id, payout.amount, payout.fee
        )
    return ledger.seller_payout(
        payout.payee.id, payout.currency, payout.id, payout.amount, failed=True
    )


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
