"""A venue's money (RULES §10): its balances read from the ledger, its ledger, payouts
and the settlement of ended events (disputes: services/disputes.py).

Every change here is one transaction with its ledger entries. A payout holds the
venue's available and reserved balances still with conditions (they are one item each)
and counts against the day's sum on the version read, so concurrent payouts serialize:
none passes the payable balance or the daily limit (services/payout_requests.py, shared
with resale sellers' payouts).
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
from admitone.adapters.dynamo.money import Settlement
from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.cursors import decode_cursor, encode_cursor, fingerprint
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ledger import AccountKind
from admitone.domain.money import parse_currency
from admitone.domain.payouts import (
    DEFAULT_RISK,
    RESERVE_WINDOW,
    Balance,
    Payee,
    PayeeKind,
    Payout,
    PayoutAccount,
)
from admitone.observability import logger
from admitone.ports import Ports
from admitone.services import seller_proceeds
from admitone.services.catalog_access import owned_venue
from admitone.services.payout_accounts import link_payout_account
from admitone.services.payout_requests import record_payout

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
    ports: Ports | None = None,
) -> Payout:
    """Pay ``amount`` of the venue's payable balance out (RULES §10 limits): recorded
    with its booking, then transferred to the venue's connected account by the transfer
    job (services/payout_requests.py)."""
    now = now or datetime.now(UTC)
    owned_venue(venue_id, caller)
    ports = ports or _wired()
    code = str(parse_currency(currency))
    available_account = ledger.available(venue_id, code)
    reserved_account = ledger.reserved(venue_id, code)
    books = ports.store.ledger

    def read() -> tuple[Balance, dict[ledger.Account, int]]:
        available, reserved = books.balance(available_account), books.balance(reserved_account)
        balance = Balance(
            currency=code,
            pending=0,
            available=available_account.shown(available),
            reserved=reserved_account.shown(reserved),
            # Only a settlement raises it, and a settlement moves the available balance
            # this payout holds still: it is current when the payout commits.
            settled_recently=_settled_recently(venue_id, code, now),
        )
        # Both held as read: a dispute, settlement, refund or another payout in between
        # makes this one read again and re-check.
        return balance, {available_account: available, reserved_account: reserved}

    return record_payout(
        ports,
        Payee(PayeeKind.VENUE, venue_id),
        requested_by=caller.user_id,
        amount=amount,
        instant=instant,
        currency=code,
        read=read,
        booking=lambda payout: ledger.payout(venue_id, code, payout.id, amount, payout.fee),
        now=now,
    )


def link_venue_payout_account(
    venue_id: str,
    caller: Principal,
    *,
    country: str | None = None,
    account_id: str | None = None,
    ports: Ports | None = None,
) -> PayoutAccount:
    """The connected account the venue's payouts are transferred to (owner)."""
    owned_venue(venue_id, caller)
    return link_payout_account(
        ports or _wired(),
        Payee(PayeeKind.VENUE, venue_id),
        email=caller.email,
        country=country,
        account_id=account_id,
    )


def venue_payouts(venue_id: str, caller: Principal, *, ports: Ports | None = None) -> list[Payout]:
    owned_venue(venue_id, caller)
    return (ports or _wired()).store.payouts.of_payee(Payee(PayeeKind.VENUE, venue_id))


def _wired() -> Ports:
    from admitone.services.wiring import ports  # noqa: PLC0415

    return ports()


# --------------------------------------------------------------- settlement
def settle_due(now: datetime, *, limit: int = 100, ports: Ports | None = None) -> int:
    """Make the proceeds of every event ended 48 h ago available to its venue, and its
    resale sellers' proceeds payable to them (first: a run cut short between the two
    finds the event still due and does both again)."""
    ports = ports or _wired()
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
