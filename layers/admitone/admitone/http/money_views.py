"""How refunds, balances, ledger transactions and payouts look on the wire (cents)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from admitone.adapters.dynamo.ledger import BookedTransaction
from admitone.adapters.dynamo.money import Refund
from admitone.domain.payouts import Balance, Payout
from admitone.domain.royalties import RoyaltySum


class RefundView(BaseModel):
    refund_id: str
    order_id: str
    status: str
    amount_cents: int
    currency: str
    reason: str
    ticket_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundView:
        return cls(
            refund_id=refund.id,
            order_id=refund.order_id,
            status=refund.status.value,
            amount_cents=refund.amount,
            currency=refund.currency,
            reason=refund.reason.value,
            ticket_ids=list(refund.ticket_ids),
            created_at=refund.created_at,
        )


class BalanceView(BaseModel):
    currency: str
    pending_cents: int
    available_cents: int
    reserved_cents: int
    required_reserve_cents: int
    payable_cents: int
    risk_level: str

    @classmethod
    def of(cls, balance: Balance) -> BalanceView:
        return cls(
            currency=balance.currency,
            pending_cents=balance.pending,
            available_cents=balance.available,
            reserved_cents=balance.reserved,
            required_reserve_cents=balance.required_reserve,
            payable_cents=balance.payable,
            risk_level=balance.risk.value,
        )


class EntryView(BaseModel):
    account: str
    amount_cents: int  # debit positive
    memo: str


class LedgerTransactionView(BaseModel):
    transaction_id: str
    kind: str
    currency: str
    booked_at: datetime
    refs: dict[str, str]
    entries: list[EntryView]

    @classmethod
    def of(cls, txn: BookedTransaction) -> LedgerTransactionView:
        return cls(
            transaction_id=txn.id,
            kind=txn.kind,
            currency=txn.currency,
            booked_at=txn.booked_at,
            refs=dict(txn.refs),
            entries=[
                EntryView(account=e.account_id, amount_cents=e.amount, memo=e.memo)
                for e in txn.entries
            ],
        )


class LedgerPageView(BaseModel):
    transactions: list[LedgerTransactionView]
    next_cursor: str | None


class PayoutView(BaseModel):
    payout_id: str
    venue_id: str
    status: str  # in_transit, then paid (transferred) or failed (the money back)
    amount_cents: int
    fee_cents: int
    net_cents: int
    currency: str
    instant: bool
    created_at: datetime
    arrives_by: datetime
    transfer_id: str | None = None  # the Stripe transfer, once paid

    @classmethod
    def of(cls, payout: Payout) -> PayoutView:
        return cls(
            payout_id=payout.id,
            venue_id=payout.payee.id,
            status=payout.status.value,
            amount_cents=payout.amount,
            fee_cents=payout.fee,
            net_cents=payout.net,
            currency=payout.currency,
            instant=payout.instant,
            created_at=payout.created_at,
            arrives_by=payout.arrives_by,
            transfer_id=payout.transfer_id,
        )


class PayoutListView(BaseModel):
    payouts: list[PayoutView]


class RoyaltySumView(BaseModel):
    event_id: str | None = None  # absent in a total
    currency: str
    venue_royalty_cents: int  # booked for resales released, less reversals
    artist_royalty_cents: int
    resales: int
    reversals: int

    @classmethod
    def of(cls, row: RoyaltySum) -> RoyaltySumView:
        return cls(
            event_id=row.event_id,
            currency=row.currency,
            venue_royalty_cents=row.venue_royalty,
            artist_royalty_cents=row.artist_royalty,
            resales=row.resales,
            reversals=row.reversals,
        )


class RoyaltyPageView(BaseModel):
    venue_id: str
    from_: date = Field(alias="from")
    to: date
    totals: list[RoyaltySumView]  # the whole range, per currency
    events: list[RoyaltySumView]  # this page's events
    next_cursor: str | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
