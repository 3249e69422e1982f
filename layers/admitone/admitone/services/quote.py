"""Price a cart without holding anything (POST /quotes): the same checks and the same
arithmetic as placing an order, so a quote is what the order will cost. A total that no
card can pay (above zero, below Stripe's minimum) is refused here, for both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import vouchers as voucher_store
from admitone.domain.catalog import Event, Voucher, normalize_voucher_code
from admitone.domain.checkout import CartItem, CheckedCart, check_cart
from admitone.domain.errors import NotFound
from admitone.domain.inventory import Stock
from admitone.domain.money import check_chargeable
from admitone.domain.pricing import Quote, quote, tier_for_trailing_gross
from admitone.domain.tax import VenueAddress, jurisdiction_for


@dataclass(frozen=True)
class PricedCart:
    event: Event
    cart: CheckedCart
    quote: Quote
    voucher_code: str | None
    voucher: Voucher | None
    # The event's shards as the same read saw them: the hold plans from them first.
    stock: Mapping[str, Stock]


def price_cart(
    event_id: str,
    items: Sequence[CartItem],
    *,
    voucher_code: str | None = None,
    now: datetime | None = None,
) -> PricedCart:
    now = now or datetime.now(UTC)
    partition = catalog.event_partition(event_id)
    event = partition.event
    code = normalize_voucher_code(voucher_code) if voucher_code else None
    voucher = voucher_store.get_voucher(event_id, code) if code and event else None
    cart = check_cart(
        event, partition.ticket_types, items, voucher=voucher, voucher_code=code, now=now
    )
    assert event is not None  # check_cart refused a missing event
    venue = catalog.get_venue(event.venue_id)
    if venue is None:
        raise NotFound("No such event.")
    address = venue.address
    # Trailing 30-day volume is not tracked yet (ledger issue): unpinned venues pay
    # the starter rate, the highest, so no buyer is ever charged less than owed.
    tier = tier_for_trailing_gross(0, pinned=venue.fee_tier)
    priced = quote(
        cart.lines,
        fee_tier=tier,
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
        stock=partition.stock,
    )
