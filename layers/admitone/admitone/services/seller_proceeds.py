"""A resale seller's proceeds (issue 19, RULES §13): pending per event until 48 h after
the event ends, then payable, by the same settlement job and rule that make a venue's
proceeds available (services/venue_money.settle_due calls ``settle_sellers`` for each
event it settles, before the event is marked settled, so a run cut short between the
two does them again).

A seller's pending and payable proceeds are one ledger item each: the settlement moves
all that is pending while it still holds what was read (a release or reversal in
between makes it read again), and a settled account reads zero, so settling again moves
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admitone.domain import ledger
from admitone.domain.accounts import Principal
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ledger import AccountKind, BalanceMoved
from admitone.observability import logger
from admitone.ports import Ports
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused

MAX_ATTEMPTS = 10
_PAGE = 100


def settle_sellers(ports: Ports, event_id: str, *, now: datetime) -> int:
    """Make every seller's pending proceeds of the event payable; how many moved."""
    store = ports.store
    sellers: set[tuple[str, str]] = set()
    start: dict[str, str] | None = None
    while True:
        escrows, start = store.escrows.released_of_event(event_id, limit=_PAGE, start=start)
        sellers |= {(escrow.seller_id, escrow.currency) for escrow in escrows}
        if start is None:
            break
    return sum(
        _settle_seller(store, seller_id, event_id, currency, now=now)
        for seller_id, currency in sorted(sellers)
    )


def _settle_seller(
    store: Store, seller_id: str, event_id: str, currency: str, *, now: datetime
) -> bool:
    pending = ledger.seller_pending(seller_id, event_id, currency)
    for _ in range(MAX_ATTEMPTS):
        balance = store.ledger.balance(pending)
        amount = pending.shown(balance)
        if amount <= 0:
            return False  # settled already, or reversed (its event cancelled)
        uow = store.unit_of_work()
        uow.ledger.book(
            ledger.seller_settlement(seller_id, event_id, currency, amount),
            now=now,
            held={pending: balance},
        )
        try:
            uow.commit()
        except BalanceMoved:
            continue
        except ChangeRefused:
            # Its settlement is booked already: what is pending now came after it.
            logger.error(
                "seller proceeds booked after their settlement",
                extra={"seller_id": seller_id, "event_id": event_id, "amount": amount},
            )
            return False
        logger.info("seller proceeds payable", extra={"event_id": event_id, "amount": amount})
        return True
    raise DependencyUnavailable("The seller's proceeds kept changing; settlement will run again.")


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class PendingProceeds:
    event_id: str
    amount: int


@dataclass(frozen=True)
class Proceeds:
    """A seller's proceeds in one currency (as shown: positive when owed to them)."""

    currency: str
    pending: int
    payable: int
    pending_by_event: tuple[PendingProceeds, ...]


def proceeds_of(store: Store, caller: Principal) -> list[Proceeds]:
    """The caller's resale proceeds per currency: pending (by event) and payable."""
    pending: dict[str, dict[str, int]] = {}
    payable: dict[str, int] = {}
    for account, balance in store.ledger.seller_accounts(caller.user_id):
        shown = account.shown(balance)
        if account.kind is AccountKind.SELLER_PAYABLE:
            payable[account.currency] = payable.get(account.currency, 0) + shown
        elif account.kind is AccountKind.SELLER_PENDING and account.event_id and shown:
            events = pending.setdefault(account.currency, {})
            events[account.event_id] = events.get(account.event_id, 0) + shown
    return [
        Proceeds(
            currency=currency,
            pending=sum(pending.get(currency, {}).values()),
            payable=payable.get(currency, 0),
            pending_by_event=tuple(
                PendingProceeds(event_id, amount)
                for event_id, amount in sorted(pending.get(currency, {}).items())
            ),
        )
        for currency in sorted(set(pending) | set(payable))
    ]
