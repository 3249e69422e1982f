"""How a resale seller's proceeds and payouts look on the wire (cents)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from admitone.domain.payouts import Payout
from admitone.services.seller_proceeds import Proceeds


class EventProceedsView(BaseModel):
    event_id: str
    pending_cents: int


class CurrencyProceedsView(BaseModel):
    currency: str
    pending_cents: int  # until 48 h after each event ends
    payable_cents: int  # may be paid out (POST /me/payouts)
    pending_by_event: list[EventProceedsView]

    @classmethod
    def of(cls, proceeds: Proceeds) -> CurrencyProceedsView:
        return cls(
            currency=proceeds.currency,
            pending_cents=proceeds.pending,
            payable_cents=proceeds.payable,
            pending_by_event=[
                EventProceedsView(event_id=part.event_id, pending_cents=part.amount)
                for part in proceeds.pending_by_event
            ],
        )


class ProceedsView(BaseModel):
    """Per currency: what resales booked to the seller, pending and payable."""

    proceeds: list[CurrencyProceedsView]

    @classmethod
    def of(cls, proceeds: Sequence[Proceeds]) -> ProceedsView:
        return cls(proceeds=[CurrencyProceedsView.of(one) for one in proceeds])


class SellerPayoutView(BaseModel):
    payout_id: str
    status: str  # in_transit, then paid (transferred) or failed (the money back)
    amount_cents: int
    currency: str
    created_at: datetime
    transfer_id: str | None = None  # the Stripe transfer, once paid
    failure: str | None = None  # why Stripe refused it, once failed

    @classmethod
    def of(cls, payout: Payout) -> SellerPayoutView:
        return cls(
            payout_id=payout.id,
            status=payout.status.value,
            amount_cents=payout.amount,
            currency=payout.currency,
            created_at=payout.created_at,
            transfer_id=payout.transfer_id,
            failure=payout.failure,
        )


class SellerPayoutListView(BaseModel):
    payouts: list[SellerPayoutView]

    @classmethod
    def of(cls, payouts: Sequence[Payout]) -> SellerPayoutListView:
        return cls(payouts=[SellerPayoutView.of(payout) for payout in payouts])
