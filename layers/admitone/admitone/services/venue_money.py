"""A venue's money (RULES §10): its balances read from the ledger, its ledger, payouts
and the settlement of ended events (disputes: services/disputes.py).

Every change here is one transaction with its ledger entries. A payout holds the
venue's available and reserved balances still with conditions (they are one item each)
and counts against the day's sum on the version read, so concurrent payouts serialize:
none passes the payable balance or the daily limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.cursor_keys import cursor_key
from admitone.adapters.dynamo import ledger as ledger_store
from admitone.adapters.dynamo import money as money_store
from admitone.adapters.dynamo import table
from admitone.adapters.dynamo.ledger import BookedTransaction
from admitone.adapters.dynamo.money import Payout, Settlement
from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.domain.ledger import AccountKind
from admitone.domain.money import parse_currency
from admitone.domain.payouts import (
    DEFAULT_RISK,
    RESERVE_WINDOW,
    Balance,
    arrives_by,
    check_payout,
    payout_day,
    payout_fee,
)
from admitone.observability import logger
from admitone.ports import Ports
from admitone.services import seller_proceeds
from admitone.services.catalog_access import owned_venue

MAX_ATTEMPTS = 10


# ------------------------------------------------------------------ balance
def venue_balance(venue_id: str, caller: Principal, *, currency: str | None = None) -> Balance:
    owned_venue(venue_id, caller)
    return balance_of(venue_id, str(parse_currency(currency)))


def balance_of(venue_id: str, currency: str, *, now: datetime | None = None) -> Balance:
    """The venue's balances in ``currency``, summed from its accounts' running totals,
    and the proceeds its reserve is a share of."""
    totals = dict.fromkeys(ledger.VENUE_KINDS, 0)
    for kind, account_currency, balance in ledger_store.venue_account_balances(venue_id).values():
        if account_currency == currency and kind in totals:
            # Venue accounts are credit-normal: what the venue is owed reads positive.
            totals[kind] += -balance
    return Balance(
        currency=currency,
        pending=totals[AccountKind.VENUE_PENDING],
        available=totals[AccountKind.VENUE_AVAILABLE],
        reserved=totals[AccountKind.VENUE_RESERVED],
        settled_recently=_settled_recently(venue_id, currency, now or datetime.now(UTC)),
        risk=DEFAULT_RISK,
    )


def _settled_recently(venue_id: str, currency: str, now: datetime) -> int:
    return ledger_store.settled_since(venue_id, currency, now - RESERVE_WINDOW)


# ------------------------------------------------------------------- ledger
@dataclass(frozen=True)
class LedgerPage:
    transactions: Sequence[BookedTransaction]
    next_cursor: str | None


def venue_ledger(venue_id: str, caller: Principal, *, limit: int, cursor: str | None) -> LedgerPage:
    """The venue's ledger transactions, newest first; a cursor is bound to the venue."""
    owned_venue(venue_id, caller)
    filters = fingerprint({"venue_ledger": venue_id})
    start = decode_cursor(cursor, filters, cursor_key()) if cursor else None
    items, last_key = ledger_store.venue_ledger_page(venue_id, limit=limit, start_key=start)
    return LedgerPage(
        transactions=items,
        next_cursor=encode_cursor(last_key, filters, cursor_key()) if last_key else None,
    )


# ------------------------------------------------------------------ payouts
def request_payout(
    venue_id: str,
    caller: Principal,
    *,
    amount: int,
    instant: bool,
    currency: str | None = None,
    now: datetime | None = None,
) -> Payout:
    """Pay ``amount`` of the venue's payable balance out (RULES §10 limits)."""
    now = now or datetime.now(UTC)
    owned_venue(venue_id, caller)
    code = str(parse_currency(currency))
    available_account = ledger.available(venue_id, code)
    reserved_account = ledger.reserved(venue_id, code)
    day = payout_day(now)
    for _ in range(MAX_ATTEMPTS):
        available = -ledger_store.balance_of(available_account)
        reserved = -ledger_store.balance_of(reserved_account)
        paid_today = money_store.paid_out_on(venue_id, day, code)
        balance = Balance(
            currency=code,
            pending=0,
            available=available,
            reserved=reserved,
            # Only a settlement raises it, and a settlement moves the available balance
            # this payout is conditioned on: it is current when the payout commits.
            settled_recently=_settled_recently(venue_id, code, now),
        )
        check_payout(amount, balance, paid_today=paid_today)
        fee = payout_fee(amount, instant=instant)
        payout = Payout(
            id=new_id(Prefix.PAYOUT, now=now),
            venue_id=venue_id,
            currency=code,
            amount=amount,
            fee=fee,
            instant=instant,
            status="in_transit",
            requested_by=caller.user_id,
            created_at=now,
            arrives_by=arrives_by(now, instant=instant),
        )
        booked = ledger.payout(venue_id, code, payout.id, amount, fee)
        # Both balances are held as read (stored debit positive): a dispute, settlement,
        # refund or another payout in between makes this one read again and re-check.
        try:
            table.transact(
                [
                    *money_store.payout_ops(payout, day=day, paid_today=paid_today),
                    *ledger_store.book_ops(
                        booked, now=now, guarded={available_account: -available}
                    ),
                    ledger_store.balance_check_op(reserved_account, -reserved),
                ]
            )
        except table.TransactionCancelled:
            continue
        logger.info(
            "payout requested", extra={"payout_id": payout.id, "amount": amount, "instant": instant}
        )
        return payout
    raise DependencyUnavailable("The balance kept changing; try the payout again.")


def venue_payouts(venue_id: str, caller: Principal) -> list[Payout]:
    owned_venue(venue_id, caller)
    return money_store.payouts_page(venue_id)


# --------------------------------------------------------------- settlement
def settle_due(now: datetime, *, limit: int = 100, ports: Ports | None = None) -> int:
    """Make the proceeds of every event ended 48 h ago available to its venue, and its
    resale sellers' proceeds payable to them (first: a run cut short between the two
    finds the event still due and does both again)."""
    if ports is None:
        from admitone.services.wiring import ports as wired  # noqa: PLC0415

        ports = wired()
    settled = 0
    for settlement in money_store.settlements_due(now, limit=limit):
        seller_proceeds.settle_sellers(ports, settlement.event_id, now=now)
        if settle(settlement, now=now):
            settled += 1
    return settled


def settle(settlement: Settlement, *, now: datetime) -> bool:
    """Move one event's pending proceeds to its venue's available balance, once. Every
    write onto the pending proceeds counts itself on the settlement item, and the move
    holds that count still: a refund booked after the read (onto any shard, one that did
    not exist then included) makes this read again, and a refund after it finds the
    event settled and draws on the available balance."""
    account = ledger.pending(settlement.venue_id, settlement.event_id, settlement.currency)
    for _ in range(MAX_ATTEMPTS):
        fresh = money_store.get_settlement(settlement.event_id)
        if fresh is None or fresh.settled_at is not None:
            return False
        shards = ledger_store.shards_of(account)
        amount = -sum(shard.balance for shard in shards)  # as shown: credit-normal
        booked = ledger.settlement(
            settlement.venue_id, settlement.event_id, settlement.currency, amount
        )
        try:
            table.transact(
                [
                    money_store.mark_settled_op(fresh, amount, now),
                    *ledger_store.book_ops(booked, now=now, drained={account: shards}),
                ]
            )
        except table.TransactionCancelled:
            continue
        logger.info("event settled", extra={"event_id": settlement.event_id, "amount": amount})
        return True
    raise DependencyUnavailable("The event's proceeds kept changing; settlement will run again.")
