"""The double-entry ledger (RULES §10): its accounts, balanced transactions, and the
transactions each money movement books.

Conventions:
- An entry's ``amount`` is signed cents, debit positive. Every transaction has at least
  two entries, one currency, and entries that sum to zero: money is only ever moved.
- An account's balance is the sum of its entries. ``shown`` turns it into the figure a
  person reads: Stripe clearing (an asset) and processing costs are debit-normal,
  everything owed (venue balances, tax, refunds payable, platform revenue) is
  credit-normal, so a venue's pending balance reads positive.
- A transaction's id is derived from the fact it records (``sale:<order id>``): the
  store writes it ``attribute_not_exists``, so one fact is never booked twice.
- Venue proceeds are the ticket price less discount less the platform fee (RULES §10,
  read literally: the platform fee is also part of the buyer's price, RULES §2);
  ``venue_fee`` is the one place that share is computed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from admitone.domain.errors import Conflict
from admitone.domain.money import percent_of
from admitone.domain.resale import ResaleSplit

# Stripe's standard card pricing: the platform's cost of taking a payment (RULES §2).
PROCESSING_FEE_BPS = 290
PROCESSING_FIXED_CENTS = 30


class AccountKind(StrEnum):
    STRIPE_CLEARING = "stripe_clearing"  # what Stripe holds for us
    PROCESSING_COSTS = "processing_costs"  # what taking payments cost the platform
    PLATFORM_REVENUE = "platform_revenue"  # platform, NFT and payout fees
    TAX_PAYABLE = "tax_payable"  # per jurisdiction
    REFUNDS_PAYABLE = "refunds_payable"  # refunds asked of Stripe, not yet confirmed
    VENUE_PENDING = "venue_pending"  # per venue and event, until 48 h after it ends
    VENUE_AVAILABLE = "venue_available"
    VENUE_RESERVED = "venue_reserved"  # disputed amounts
    DISPUTE_LOSSES = "dispute_losses"  # what lost disputes took beyond the venue's share
    ARTIST_ROYALTIES = "artist_royalties"  # resale royalties owed to artists
    SELLER_PENDING = (
        "seller_pending"  # per seller and event: resale proceeds, until 48 h after it ends
    )
    SELLER_PAYABLE = "seller_payable"  # per seller: settled resale proceeds, not paid out


SELLER_KINDS = frozenset({AccountKind.SELLER_PENDING, AccountKind.SELLER_PAYABLE})
DEBIT_NORMAL = frozenset(
    {AccountKind.STRIPE_CLEARING, AccountKind.PROCESSING_COSTS, AccountKind.DISPUTE_LOSSES}
)
VENUE_KINDS = frozenset(
    {AccountKind.VENUE_PENDING, AccountKind.VENUE_AVAILABLE, AccountKind.VENUE_RESERVED}
)


def jurisdiction_key(tax_name: str) -> str:
    """``"Nashville Local Tax"`` -> ``"nashville-local-tax"``: a tax line's account."""
    return re.sub(r"[^a-z0-9]+", "-", tax_name.casefold()).strip("-")


@dataclass(frozen=True)
class Account:
    """One account; ``id`` is its stored name, e.g. ``venue_pending:ven_1:evt_2:USD``."""

    kind: AccountKind
    currency: str
    venue_id: str | None = None
    event_id: str | None = None
    jurisdiction: str | None = None
    seller_id: str | None = None

    @property
    def id(self) -> str:
        parts = (
            self.kind.value,
            self.venue_id,
            self.seller_id,
            self.event_id,
            self.jurisdiction,
            self.currency,
        )
        return ":".join(part for part in parts if part)

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL

    def shown(self, balance: int) -> int:
        """The balance as read: positive when the account holds or is owed money."""
        return balance if self.debit_normal else -balance


def clearing(currency: str) -> Account:
    return Account(AccountKind.STRIPE_CLEARING, currency)


def revenue(currency: str) -> Account:
    return Account(AccountKind.PLATFORM_REVENUE, currency)


def processing_costs(currency: str) -> Account:
    return Account(AccountKind.PROCESSING_COSTS, currency)


def dispute_losses(currency: str) -> Account:
    return Account(AccountKind.DISPUTE_LOSSES, currency)


def refunds_payable(currency: str) -> Account:
    return Account(AccountKind.REFUNDS_PAYABLE, currency)


def tax_payable(tax_name: str, currency: str) -> Account:
    return Account(AccountKind.TAX_PAYABLE, currency, jurisdiction=jurisdiction_key(tax_name))


def pending(venue_id: str, event_id: str, currency: str) -> Account:
    return Account(AccountKind.VENUE_PENDING, currency, venue_id=venue_id, event_id=event_id)


def artist_royalties(currency: str) -> Account:
    return Account(AccountKind.ARTIST_ROYALTIES, currency)


def seller_pending(seller_id: str, event_id: str, currency: str) -> Account:
    return Account(AccountKind.SELLER_PENDING, currency, seller_id=seller_id, event_id=event_id)


def seller_payable(seller_id: str, currency: str) -> Account:
    return Account(AccountKind.SELLER_PAYABLE, currency, seller_id=seller_id)


def available(venue_id: str, currency: str) -> Account:
    return Account(AccountKind.VENUE_AVAILABLE, currency, venue_id=venue_id)


def reserved(venue_id: str, currency: str) -> Account:
    return Account(AccountKind.VENUE_RESERVED, currency, venue_id=venue_id)


@dataclass(frozen=True)
class Entry:
    account: Account
    amount: int  # debit positive
    memo: str


class TransactionKind(StrEnum):
    SALE = "sale"
    PLATFORM_FEE = "platform_fee"  # the venue's share of the fee, from its proceeds
    PROCESSING_COST = "processing_cost"
    REFUND = "refund"
    PLATFORM_FEE_RETURNED = "platform_fee_returned"
    REFUND_PAID = "refund_paid"
    REFUND_FAILED = "refund_failed"
    PLATFORM_FEE_RETAKEN = "platform_fee_retaken"
    REFUND_PAYMENT_FAILED = "refund_payment_failed"
    SETTLEMENT = "settlement"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CHANGED = "dispute_changed"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    PAYOUT = "payout"
    PAYOUT_FEE = "payout_fee"
    RESALE = "resale"
    RESALE_REVERSED = "resale_reversed"
    SELLER_SETTLEMENT = "seller_settlement"
    PAYOUT_FAILED = "payout_failed"  # Stripe refused the transfer: the money back
    PAYOUT_FEE_RETURNED = "payout_fee_returned"
    SELLER_PAYOUT = "seller_payout"
    SELLER_PAYOUT_FAILED = "seller_payout_failed"


class BalanceMoved(Conflict):
    """An account a booking held still moved after it was read: read it again."""

    code = "BALANCE_MOVED"


class Unbalanced(ValueError):
    """A transaction whose entries do not sum to zero: a programming error."""


@dataclass(frozen=True)
class Transaction:
    id: str
    kind: TransactionKind
    currency: str
    entries: tuple[Entry, ...]
    venue_id: str | None = None
    refs: dict[str, str] = field(default_factory=dict)  # order_id, refund_id, payout_id ...

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise Unbalanced(f"{self.id}: a transaction needs at least two entries")
        if any(entry.account.currency != self.currency for entry in self.entries):
            raise Unbalanced(f"{self.id}: every entry must be in {self.currency}")
        if sum(entry.amount for entry in self.entries) != 0:
            raise Unbalanced(f"{self.id}: entries sum to {self.total_debits - self.total_credits}")

    @property
    def total_debits(self) -> int:
        return sum(entry.amount for entry in self.entries if entry.amount > 0)

    @property
    def total_credits(self) -> int:
        return -sum(entry.amount for entry in self.entries if entry.amount < 0)

    def deltas(self) -> dict[Account, int]:
        """What the transaction adds to each account's balance (zero sums left out)."""
        totals: dict[Account, int] = {}
        for entry in self.entries:
            totals[entry.account] = totals.get(entry.account, 0) + entry.amount
        return {account: delta for account, delta in totals.items() if delta}


def _transaction(
    txn_id: str,
    kind: TransactionKind,
    currency: str,
    entries: Iterable[Entry],
    *,
    venue_id: str | None,
    refs: dict[str, str],
) -> Transaction | None:
    """A transaction of the non-zero entries, or None when nothing moves."""
    moving = tuple(entry for entry in entries if entry.amount)
    if not moving:
        return None
    return Transaction(txn_id, kind, currency, moving, venue_id=venue_id, refs=refs)


def _present(transactions: Iterable[Transaction | None]) -> list[Transaction]:
    return [txn for txn in transactions if txn is not None]


# ------------------------------------------------------------------ amounts
@dataclass(frozen=True)
class Components:
    """What a buyer paid (or is refunded) by part; ``taxes`` follow the order's tax lines."""

    price: int  # ticket price less discount
    platform_fee: int
    nft_fee: int
    taxes: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.price + self.platform_fee + self.nft_fee + sum(self.taxes)

    def as_list(self) -> list[int]:
        return [self.price, self.platform_fee, self.nft_fee, *self.taxes]

    @classmethod
    def of_list(cls, parts: Sequence[int]) -> Components:
        return cls(parts[0], parts[1], parts[2], tuple(parts[3:]))

    def plus(self, other: Components) -> Components:
        return Components.of_list(
            [a + b for a, b in zip(self.as_list(), other.as_list(), strict=True)]
        )

    def minus(self, other: Components) -> Components:
        return Components.of_list(
            [a - b for a, b in zip(self.as_list(), other.as_list(), strict=True)]
        )

    def within(self, other: Components) -> bool:
        """Every part is between zero and ``other``'s."""
        return all(0 <= a <= b for a, b in zip(self.as_list(), other.as_list(), strict=True))

    def negated(self) -> Components:
        return Components.of_list([-part for part in self.as_list()])


def zero_components(tax_lines: int) -> Components:
    return Components(0, 0, 0, (0,) * tax_lines)


def venue_fee(*, price_paid: int, platform_fee: int, price_refunded: int) -> int:
    """The venue's share of the platform fee given back once ``price_refunded`` of the
    order's ``price_paid`` is refunded: proportional, rounded down, and exact at a full
    refund. It depends only on the cumulative amount, so refunds made, failed and made
    again in any order always leave the same fee taken."""
    if price_paid == 0:
        return 0
    return platform_fee * price_refunded // price_paid


def processing_cost(total: int) -> int:
    return percent_of(total, PROCESSING_FEE_BPS) + PROCESSING_FIXED_CENTS if total else 0


# ---------------------------------------------------------------- bookings
@dataclass(frozen=True)
class OrderParty:
    """Who an order's money concerns."""

    order_id: str
    venue_id: str
    event_id: str
    currency: str
    tax_names: tuple[str, ...]


def sale(party: OrderParty, paid: Components) -> list[Transaction]:
    """A paid order: the buyer's money split over venue, platform and tax; the venue's
    share of the platform fee; what Stripe charged the platform for it."""
    cur = party.currency
    refs = {"order_id": party.order_id, "event_id": party.event_id}
    venue_pending = pending(party.venue_id, party.event_id, cur)
    fee = venue_fee(
        price_paid=paid.price, platform_fee=paid.platform_fee, price_refunded=paid.price
    )
    cost = processing_cost(paid.total)
    return _present(
        [
            _transaction(
                f"sale:{party.order_id}",
                TransactionKind.SALE,
                cur,
                [
                    Entry(clearing(cur), paid.total, "paid by the buyer"),
                    Entry(venue_pending, -paid.price, "ticket price less discount"),
                    Entry(revenue(cur), -paid.platform_fee, "platform fee (buyer)"),
                    Entry(revenue(cur), -paid.nft_fee, "NFT fee"),
                    *(
                        Entry(tax_payable(name, cur), -amount, name)
                        for name, amount in zip(party.tax_names, paid.taxes, strict=True)
                    ),
                ],
                venue_id=party.venue_id,
                refs=refs,
            ),
            _transaction(
                f"platform_fee:{party.order_id}",
                TransactionKind.PLATFORM_FEE,
                cur,
                [
                    Entry(venue_pending, fee, "platform fee (venue)"),
                    Entry(revenue(cur), -fee, "platform fee (venue)"),
                ],
                venue_id=party.venue_id,
                refs=refs,
            ),
            _transaction(
                f"processing_cost:{party.order_id}",
                TransactionKind.PROCESSING_COST,
                cur,
                [
                    Entry(processing_costs(cur), cost, "card processing"),
                    Entry(clearing(cur), -cost, "card processing"),
                ],
                venue_id=None,
                refs=refs,
            ),
        ]
    )


def refund(
    party: OrderParty,
    refund_id: str,
    amounts: Components,
    *,
    fee_returned: int,
    venue_account: Account,
    failed: bool = False,
) -> list[Transaction]:
    """A refund asked of Stripe (or, ``failed``, its exact undoing): each part taken back
    from where the sale put it and owed to the buyer, and the venue's share of the fee
    given back. ``venue_account`` is the event's pending account, or the venue's
    available one once the event is settled."""
    cur = party.currency
    sign = -1 if failed else 1
    refs = {"order_id": party.order_id, "event_id": party.event_id, "refund_id": refund_id}
    suffix = ":failed" if failed else ""
    return _present(
        [
            _transaction(
                f"refund:{refund_id}{suffix}",
                TransactionKind.REFUND_FAILED if failed else TransactionKind.REFUND,
                cur,
                [
                    Entry(venue_account, sign * amounts.price, "ticket price less discount"),
                    Entry(revenue(cur), sign * amounts.platform_fee, "platform fee (buyer)"),
                    Entry(revenue(cur), sign * amounts.nft_fee, "NFT fee"),
                    *(
                        Entry(tax_payable(name, cur), sign * amount, name)
                        for name, amount in zip(party.tax_names, amounts.taxes, strict=True)
                    ),
                    Entry(refunds_payable(cur), -sign * amounts.total, "owed to the buyer"),
                ],
                venue_id=party.venue_id,
                refs=refs,
            ),
            _transaction(
                f"platform_fee_returned:{refund_id}{suffix}",
                TransactionKind.PLATFORM_FEE_RETAKEN
                if failed
                else TransactionKind.PLATFORM_FEE_RETURNED,
                cur,
                [
                    Entry(revenue(cur), sign * fee_returned, "platform fee (venue)"),
                    Entry(venue_account, -sign * fee_returned, "platform fee (venue)"),
                ],
                venue_id=party.venue_id,
                refs=refs,
            ),
        ]
    )


def refund_paid(
    party: OrderParty, refund_id: str, amount: int, *, failed: bool = False
) -> list[Transaction]:
    """Stripe paid the refund out (or, ``failed``, a paid refund came back)."""
    cur = party.currency
    sign = -1 if failed else 1
    return _present(
        [
            _transaction(
                f"refund_paid:{refund_id}{':failed' if failed else ''}",
                TransactionKind.REFUND_PAYMENT_FAILED if failed else TransactionKind.REFUND_PAID,
                cur,
                [
                    Entry(refunds_payable(cur), sign * amount, "refund paid out"),
                    Entry(clearing(cur), -sign * amount, "refund paid out"),
                ],
                venue_id=party.venue_id,
                refs={"order_id": party.order_id, "refund_id": refund_id},
            )
        ]
    )


def settlement(venue_id: str, event_id: str, currency: str, amount: int) -> list[Transaction]:
    """An ended event's proceeds (``amount``, as shown) made available to its venue."""
    return _present(
        [
            _transaction(
                f"settlement:{event_id}:{currency}",
                TransactionKind.SETTLEMENT,
                currency,
                [
                    Entry(pending(venue_id, event_id, currency), amount, "event settled"),
                    Entry(available(venue_id, currency), -amount, "event settled"),
                ],
                venue_id=venue_id,
                refs={"event_id": event_id},
            )
        ]
    )


def seller_settlement(
    seller_id: str, event_id: str, currency: str, amount: int
) -> list[Transaction]:
    """A seller's resale proceeds of an event ended 48 h ago (``amount``, as shown) made
    payable to them (RULES §13: as a venue's proceeds are settled)."""
    return _present(
        [
            _transaction(
                f"seller_settlement:{event_id}:{seller_id}:{currency}",
                TransactionKind.SELLER_SETTLEMENT,
                currency,
                [
                    Entry(seller_pending(seller_id, event_id, currency), amount, "event settled"),
                    Entry(seller_payable(seller_id, currency), -amount, "event settled"),
                ],
                venue_id=None,
                refs={"event_id": event_id, "seller_id": seller_id},
            )
        ]
    )


class DisputeOutcome(StrEnum):
    OPENED = "opened"
    WON = "won"
    LOST = "lost"


def dispute(
    venue_id: str,
    currency: str,
    *,
    dispute_id: str,
    order_id: str,
    amount: int,
    outcome: DisputeOutcome,
    taken: int | None = None,
) -> list[Transaction]:
    """Opened: ``amount`` (what the venue answers for) moves from available to reserved
    (RULES §10). Won: it goes back. Lost: the card holder's bank takes ``taken`` (default
    ``amount``) out of Stripe clearing: the reserved ``amount`` from the venue, the rest
    a loss of the platform's."""
    held = reserved(venue_id, currency)
    memo = f"dispute {outcome.value}"
    if outcome is DisputeOutcome.OPENED:
        kind = TransactionKind.DISPUTE_OPENED
        entries = [Entry(available(venue_id, currency), amount, memo), Entry(held, -amount, memo)]
    elif outcome is DisputeOutcome.WON:
        kind = TransactionKind.DISPUTE_WON
        entries = [Entry(held, amount, memo), Entry(available(venue_id, currency), -amount, memo)]
    else:
        kind = TransactionKind.DISPUTE_LOST
        bank = amount if taken is None else taken
        entries = [
            Entry(held, amount, memo),
            Entry(dispute_losses(currency), bank - amount, "dispute lost: borne by the platform"),
            Entry(clearing(currency), -bank, memo),
        ]
    return _present(
        [
            _transaction(
                f"dispute_{outcome.value}:{dispute_id}",
                kind,
                currency,
                entries,
                venue_id=venue_id,
                refs={"dispute_id": dispute_id, "order_id": order_id},
            )
        ]
    )


def dispute_changed(
    venue_id: str,
    currency: str,
    *,
    dispute_id: str,
    order_id: str,
    change: int,
    by: int,
) -> list[Transaction]:
    """What is frozen for an open dispute changes by ``by`` (its ``change``-th change):
    more moves from available to reserved, less goes back."""
    return _present(
        [
            _transaction(
                f"dispute_changed:{dispute_id}:{change}",
                TransactionKind.DISPUTE_CHANGED,
                currency,
                [
                    Entry(available(venue_id, currency), by, "disputed amount changed"),
                    Entry(reserved(venue_id, currency), -by, "disputed amount changed"),
                ],
                venue_id=venue_id,
                refs={"dispute_id": dispute_id, "order_id": order_id},
            )
        ]
    )


def payout(
    venue_id: str, currency: str, payout_id: str, amount: int, fee: int
) -> list[Transaction]:
    """``amount`` leaves the venue's available balance: ``amount - fee`` to its bank,
    ``fee`` (instant payouts) to the platform."""
    venue_available = available(venue_id, currency)
    refs = {"payout_id": payout_id}
    return _present(
        [
            _transaction(
                f"payout:{payout_id}",
                TransactionKind.PAYOUT,
                currency,
                [
                    Entry(venue_available, amount - fee, "payout"),
                    Entry(clearing(currency), -(amount - fee), "payout"),
                ],
                venue_id=venue_id,
                refs=refs,
            ),
            _transaction(
                f"payout_fee:{payout_id}",
                TransactionKind.PAYOUT_FEE,
                currency,
                [
                    Entry(venue_available, fee, "instant payout fee"),
                    Entry(revenue(currency), -fee, "instant payout fee"),
                ],
                venue_id=venue_id,
                refs=refs,
            ),
        ]
    )


def payout_returned(
    venue_id: str, currency: str, payout_id: str, amount: int, fee: int
) -> list[Transaction]:
    """A venue payout Stripe refused to transfer: ``payout``'s exact undoing, the whole
    ``amount`` back in the venue's available balance (its fee too)."""
    venue_available = available(venue_id, currency)
    refs = {"payout_id": payout_id}
    return _present(
        [
            _transaction(
                f"payout_failed:{payout_id}",
                TransactionKind.PAYOUT_FAILED,
                currency,
                [
                    Entry(clearing(currency), amount - fee, "payout refused"),
                    Entry(venue_available, -(amount - fee), "payout refused"),
                ],
                venue_id=venue_id,
                refs=refs,
            ),
            _transaction(
                f"payout_fee_returned:{payout_id}",
                TransactionKind.PAYOUT_FEE_RETURNED,
                currency,
                [
                    Entry(revenue(currency), fee, "instant payout fee returned"),
                    Entry(venue_available, -fee, "instant payout fee returned"),
                ],
                venue_id=venue_id,
                refs=refs,
            ),
        ]
    )


def seller_payout(
    seller_id: str, currency: str, payout_id: str, amount: int, *, failed: bool = False
) -> list[Transaction]:
    """``amount`` of a seller's payable proceeds transferred to their connected account
    (or, ``failed``, Stripe refused the transfer: the amount back)."""
    sign = -1 if failed else 1
    return _present(
        [
            _transaction(
                f"seller_payout{'_failed' if failed else ''}:{payout_id}",
                TransactionKind.SELLER_PAYOUT_FAILED if failed else TransactionKind.SELLER_PAYOUT,
                currency,
                [
                    Entry(seller_payable(seller_id, currency), sign * amount, "payout"),
                    Entry(clearing(currency), -sign * amount, "payout"),
                ],
                venue_id=None,
                refs={"payout_id": payout_id, "seller_id": seller_id},
            )
        ]
    )


@dataclass(frozen=True)
class ResaleParty:
    """Who a released resale escrow pays: its venue (royalty), the seller (proceeds)."""

    escrow_id: str
    listing_id: str
    event_id: str
    venue_id: str
    seller_id: str
    currency: str


def resale(party: ResaleParty, split: ResaleSplit) -> list[Transaction]:
    """A released resale (RULES §13): the buyer's captured money split in one balanced
    transaction (the venue's royalty pending as its ticket sales are, the seller's
    proceeds pending until 48 h after the event ends), and what Stripe charged for it."""
    cur = party.currency
    total = split.total
    refs = {
        "escrow_id": party.escrow_id,
        "listing_id": party.listing_id,
        "event_id": party.event_id,
    }
    cost = processing_cost(total)
    return _present(
        [
            _transaction(
                f"resale:{party.escrow_id}",
                TransactionKind.RESALE,
                cur,
                [
                    Entry(clearing(cur), total, "paid by the resale buyer"),
                    Entry(
                        pending(party.venue_id, party.event_id, cur),
                        -split.venue_royalty,
                        "venue royalty (resale)",
                    ),
                    Entry(artist_royalties(cur), -split.artist_royalty, "artist royalty (resale)"),
                    Entry(revenue(cur), -split.platform_share, "platform share (resale)"),
                    Entry(
                        seller_pending(party.seller_id, party.event_id, cur),
                        -split.seller_proceeds,
                        "seller proceeds (resale)",
                    ),
                ],
                venue_id=party.venue_id,
                refs=refs,
            ),
            _transaction(
                f"processing_cost:{party.escrow_id}",
                TransactionKind.PROCESSING_COST,
                cur,
                [
                    Entry(processing_costs(cur), cost, "card processing (resale)"),
                    Entry(clearing(cur), -cost, "card processing (resale)"),
                ],
                venue_id=None,
                refs=refs,
            ),
        ]
    )


def resale_reversed(party: ResaleParty, split: ResaleSplit) -> list[Transaction]:
    """A released resale whose event was cancelled (RULES §13): the resale price refunded
    to its buyer out of clearing, and every share the release booked taken back, in one
    balanced transaction (the processing cost stays the platform's)."""
    cur = party.currency
    return _present(
        [
            _transaction(
                f"resale_reversed:{party.escrow_id}",
                TransactionKind.RESALE_REVERSED,
                cur,
                [
                    Entry(clearing(cur), -split.total, "refunded to the resale buyer"),
                    Entry(
                        pending(party.venue_id, party.event_id, cur),
                        split.venue_royalty,
                        "venue royalty (resale reversed)",
                    ),
                    Entry(
                        artist_royalties(cur),
                        split.artist_royalty,
                        "artist royalty (resale reversed)",
                    ),
                    Entry(revenue(cur), split.platform_share, "platform share (resale reversed)"),
                    Entry(
                        seller_pending(party.seller_id, party.event_id, cur),
                        split.seller_proceeds,
                        "seller proceeds (resale reversed)",
                    ),
                ],
                venue_id=party.venue_id,
                refs={
                    "escrow_id": party.escrow_id,
                    "listing_id": party.listing_id,
                    "event_id": party.event_id,
                },
            )
        ]
    )


def net_deltas(transactions: Iterable[Transaction]) -> dict[Account, int]:
    """What a set of transactions adds to each account, in total."""
    totals: dict[Account, int] = {}
    for txn in transactions:
        for account, delta in txn.deltas().items():
            totals[account] = totals.get(account, 0) + delta
    return {account: delta for account, delta in totals.items() if delta}
