"""Price a cart without holding anything (POST /quotes): the same checks and the same
arithmetic as placing an order, so a quote is what the order will cost. A total that no
card can pay (above zero, below Stripe's minimum) is refused here, for both.

Whether a voucher code is valid is something both routes tell, so codes could be
guessed: a code is looked up only after the client's allowance of failed codes for the
event (``rate_limits.VOUCHER_ATTEMPTS``) took one try, atomically; a code that turned
out not to be wrong gives the try back. Used up -> 429 ``VOUCHER_ATTEMPTS_EXCEEDED``
before anything is looked up; counters unreachable -> 503 (a guard of discounts and
access codes is never skipped).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from admitone.adapters.dynamo import catalog, rate_counters
from admitone.domain.catalog import Event, Venue, Voucher, normalize_voucher_code
from admitone.domain.checkout import CartItem, CheckedCart, check_cart
from admitone.domain.errors import (
    DependencyUnavailable,
    InvalidVoucher,
    NotFound,
    VoucherAttemptsExceeded,
)
from admitone.domain.money import check_chargeable
from admitone.domain.pricing import FeeTier, Quote, quote, tier_for_trailing_gross
from admitone.domain.rate_limits import (
    Charge,
    Client,
    seconds_until_window_ends,
    voucher_attempt_charges,
)
from admitone.domain.tax import VenueAddress, jurisdiction_for
from admitone.observability import logger, metrics


@dataclass(frozen=True)
class PricedCart:
    event: Event
    cart: CheckedCart
    quote: Quote
    voucher_code: str | None
    voucher: Voucher | None
    # Every ticket type's and pool's shard count (the catalog's): the keys an order reads
    # the event's inventory at.
    inventory_owners: Mapping[str, int]


def clock() -> datetime:
    """The moment voucher tries are counted at (tests replace it to move between windows)."""
    return datetime.now(UTC)


def price_cart(
    event_id: str,
    items: Sequence[CartItem],
    *,
    voucher_code: str | None = None,
    client: Client | None = None,
    now: datetime | None = None,
) -> PricedCart:
    """``client`` is who asks (``None``: unidentified, which still counts its tries)."""
    now = now or clock()
    if voucher_code is None:
        return _price(event_id, items, None, now)
    with _voucher_try(event_id, client or Client(), now):
        return _price(event_id, items, voucher_code, now)


@contextmanager
def _voucher_try(event_id: str, client: Client, now: datetime) -> Iterator[None]:
    """Take one try of each of the client's allowances; keep it only if the code was wrong."""
    taken: list[Charge] = []
    try:
        for charge in voucher_attempt_charges(event_id, client):
            if not rate_counters.try_count_hit(charge.limit, charge.client_key, now=now):
                retry_after = seconds_until_window_ends(now, charge.limit.window_seconds)
                metrics.add_metric(name="VoucherAttemptsRefused", unit=MetricUnit.Count, value=1)
                logger.info("voucher tries used up", extra={"retry_after": retry_after})
                raise VoucherAttemptsExceeded(
                    f"Too many voucher codes tried for this event; retry in {retry_after} s.",
                    retry_after_seconds=retry_after,
                )
            taken.append(charge)
        yield
    except InvalidVoucher:
        metrics.add_metric(name="VoucherRejected", unit=MetricUnit.Count, value=1)
        raise
    except BaseException:
        _give_back(taken, now)
        raise
    else:
        _give_back(taken, now)


def _give_back(taken: Sequence[Charge], now: datetime) -> None:
    for charge in taken:
        try:
            rate_counters.give_back_hit(charge.limit, charge.client_key, now=now)
        except DependencyUnavailable:
            # The client keeps one try fewer until the window ends; the answer stands.
            logger.warning("voucher try not given back", extra={"family": charge.limit.family})


def fee_tier_of(venue: Venue) -> FeeTier:
    """The fee tier the venue's buyers pay."""
    # Trailing 30-day volume is not tracked yet (ledger issue): unpinned venues pay
    # the starter rate, the highest, so no buyer is ever charged less than owed.
    return tier_for_trailing_gross(0, pinned=venue.fee_tier)


def fee_tier_at(venue_id: str) -> FeeTier:
    """The fee tier buyers pay at the venue, for showing all-in prices. A venue that
    cannot be read shows the starter tier's, the highest: never less than owed."""
    venue = catalog.recent_venues.get(venue_id)
    return FeeTier.STARTER if venue is None else fee_tier_of(venue)


def _price(
    event_id: str, items: Sequence[CartItem], voucher_code: str | None, now: datetime
) -> PricedCart:
    partition = catalog.event_partition(event_id)
    event = partition.event
    code = normalize_voucher_code(voucher_code) if voucher_code else None
    # The event's partition holds its vouchers: the code needs no read of its own.
    voucher = next((v for v in partition.vouchers if v.code == code), None) if code else None
    cart = check_cart(
        event, partition.ticket_types, items, voucher=voucher, voucher_code=code, now=now
    )
    assert event is not None  # check_cart refused a missing event
    # A copy at most a minute old (catalog.VENUE_MAX_AGE_SECONDS): one read fewer per order.
    venue = catalog.recent_venues.get(event.venue_id)
    if venue is None:
        raise NotFound("No such event.")
    address = venue.address
    priced = quote(
        cart.lines,
        fee_tier=fee_tier_of(venue),
        tax=jurisdiction_for(
            VenueAddress(country=address.country, state=address.state, city=address.city)
        ),
        currency=event.currency,
        voucher=cart.discount,
        nft=event.nft_enabled,
    )
    check_chargeable(priced.total, priced.currency)
    return PricedCart(
        event=event,
        cart=cart,
        quote=priced,
        voucher_code=code,
        voucher=voucher,
        inventory_owners=partition.inventory_owners,
    )
