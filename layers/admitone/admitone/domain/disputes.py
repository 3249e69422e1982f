"""Disputes (RULES §10): how much of a chargeback the venue answers for.

Contract:
- A dispute freezes, and if lost takes, at most what the venue still holds from the
  disputed charge: the order's ticket price less discount not yet refunded, less the
  venue's share of the platform fee it still keeps (``ledger.venue_fee``). Refunds count
  from the moment they are asked (domain/refunds.py), so an order refunded in full
  leaves the venue nothing to answer for.
- The rest of what the card holder's bank takes (the buyer's platform and NFT fees, the
  tax, what was already refunded) is the platform's loss, booked on its own account.
"""

from __future__ import annotations

from admitone.domain.ledger import venue_fee
from admitone.domain.orders import Order
from admitone.domain.refunds import paid_components, refunded_components


def venue_holds(order: Order) -> int:
    """What the venue still has from the order's charge (its net after refunds)."""
    paid = paid_components(order)
    refunded = refunded_components(order)
    fee_kept = paid.platform_fee - venue_fee(
        price_paid=paid.price, platform_fee=paid.platform_fee, price_refunded=refunded.price
    )
    return max(0, paid.price - refunded.price - fee_kept)


def venue_answers_for(order: Order, disputed: int) -> int:
    """What a dispute of ``disputed`` cents freezes of the venue's money (and takes, lost)."""
    return max(0, min(disputed, venue_holds(order)))
