"""Recording a payout (RULES §10, §13), for a venue or a resale seller alike.

The payout is written first, in one unit of work with its ledger booking (the amount
out of the payee's balance, which must still be the balance read), its payee's day sum
(which must still be the sum read) and a ``payout.requested`` outbox item; the Stripe
transfer is made afterwards by the transfer job (services/payout_transfers.py) from that
item, under the payout's id as Stripe's idempotency key, so a crash anywhere loses no
payout and a retry transfers once. Concurrent payouts of one payee serialize: none
passes the payable balance or the daily limit.

Sellers: the payable balance is their settled resale proceeds, all of it (no chargeback
reserve: a resale is captured only after the ticket moved and the cooling period, and a
cancelled event reverses it before it settles); the RULES §10 minimum ($100) and daily
limit ($50,000 per currency) apply as to venues; there is no instant payout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.errors import Contention, DependencyUnavailable
from admitone.domain.events import PayoutRequested
from admitone.domain.ids import Prefix, new_id
from admitone.domain.ledger import Account, BalanceMoved, Transaction
from admitone.domain.money import parse_currency
from admitone.domain.payouts import (
    Balance,
    Payee,
    PayeeKind,
    Payout,
    PayoutAccountMissing,
    PayoutDayMoved,
    PayoutStatus,
    arrives_by,
    check_payout,
    payout_day,
    payout_fee,
)
from admitone.observability import logger
from admitone.ports import Ports

MAX_ATTEMPTS = 10

# The payee's balance as read now, and the one-item accounts the payout holds still.
BalanceRead = Callable[[], tuple[Balance, dict[Account, int]]]
Booking = Callable[[Payout], list[Transaction]]


def record_payout(
    ports: Ports,
    payee: Payee,
    *,
    requested_by: str,
    amount: int,
    instant: bool,
    currency: str,
    read: BalanceRead,
    booking: Booking,
    now: datetime,
) -> Payout:
    """Record a payout of ``amount`` within the RULES §10 limits; its transfer follows."""
    store = ports.store
    if store.payouts.account(payee) is None:
        raise PayoutAccountMissing(
            "Link a payout account first (PUT its payout-account): payouts are transfers to it."
        )
    day = payout_day(now)
    for _ in range(MAX_ATTEMPTS):
        balance, held = read()
        paid_today = store.payouts.paid_out_on(payee, day, currency)
        check_payout(amount, balance, paid_today=paid_today)
        payout = Payout(
            id=new_id(Prefix.PAYOUT, now=now),
            payee=payee,
            currency=currency,
            amount=amount,
            fee=payout_fee(amount, instant=instant),
            instant=instant,
            status=PayoutStatus.IN_TRANSIT,
            requested_by=requested_by,
            created_at=now,
            arrives_by=arrives_by(now, instant=instant),
        )
        uow = store.unit_of_work()
        uow.payouts.request(payout, day=day, paid_today=paid_today)
        uow.ledger.book(booking(payout), now=now, held=held)
        uow.outbox.announce(
            "payout.requested",
            PayoutRequested(payout_id=payout.id, payee_kind=payee.kind.value, payee_id=payee.id),
            now=now,
        )
        try:
            uow.commit()
        except (BalanceMoved, PayoutDayMoved, Contention):
            continue  # another payout, settlement or dispute in between: read again
        logger.info(
            "payout recorded",
            extra={"payout_id": payout.id, "payee_kind": payee.kind.value, "amount": amount},
        )
        return payout
    raise DependencyUnavailable("The balance kept changing; try the payout again.")


# ------------------------------------------------------------------ sellers
def request_seller_payout(
    ports: Ports,
    caller: Principal,
    *,
    amount: int,
    currency: str | None = None,
    now: datetime | None = None,
) -> Payout:
    """Pay ``amount`` of the caller's payable resale proceeds to their connected account."""
    code = str(parse_currency(currency))
    payable = ledger.seller_payable(caller.user_id, code)
    books = ports.store.ledger

    def read() -> tuple[Balance, dict[Account, int]]:
        balance = books.balance(payable)
        shown = payable.shown(balance)
        return Balance(currency=code, pending=0, available=shown, reserved=0, settled_recently=0), {
            payable: balance
        }

    return record_payout(
        ports,
        Payee(PayeeKind.SELLER, caller.user_id),
        requested_by=caller.user_id,
        amount=amount,
        instant=False,
        currency=code,
        read=read,
        booking=lambda payout: ledger.seller_payout(caller.user_id, code, payout.id, amount),
        now=now or datetime.now(UTC),
    )


def seller_payouts(ports: Ports, caller: Principal) -> list[Payout]:
    return ports.store.payouts.of_payee(Payee(PayeeKind.SELLER, caller.user_id))
