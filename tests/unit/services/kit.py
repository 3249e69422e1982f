"""A shop on the fakes: a published event, its ticket types, their shards and vouchers in
a ``FakeStore``, carts priced by the domain's own checkout and pricing, and the signing
keys a ticket is issued with. No moto, no network: these tests run in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.accounts import Principal
from admitone.domain.catalog import (
    Address,
    Category,
    Event,
    EventStatus,
    TicketType,
    Venue,
    Voucher,
    VoucherKind,
)
from admitone.domain.checkout import CartItem, check_cart
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.domain.keys import KeySet, generate_keyset_document
from admitone.domain.money import Currency
from admitone.domain.pricing import quote, tier_for_trailing_gross
from admitone.domain.tax import VenueAddress, jurisdiction_for
from admitone.ports import Ports
from admitone.services.quote import PricedCart
from tests.fakes import fake_ports
from tests.fakes.gateways import FakePayments
from tests.fakes.store import FakeStore

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
KEYS = KeySet.from_document(generate_keyset_document(now=NOW))


@pytest.fixture(autouse=True)
def signing_keys(monkeypatch: pytest.MonkeyPatch) -> KeySet:
    """Tickets are signed with a key set of the test's own (no Secrets Manager)."""
    monkeypatch.setattr("admitone.services.issuance.load_keyset", lambda: KEYS)
    return KEYS


@dataclass
class Shop:
    ports: Ports
    event: Event
    types: dict[str, TicketType] = field(default_factory=dict)

    @property
    def store(self) -> FakeStore:
        assert isinstance(self.ports.store, FakeStore)
        return self.ports.store

    @property
    def payments(self) -> FakePayments:
        assert isinstance(self.ports.payments, FakePayments)
        return self.ports.payments

    def ticket_type(self, name: str, *, price_cents: int, capacity: int, shards: int = 1) -> str:
        ticket_type = TicketType(
            id=new_id(Prefix.TICKET_TYPE, now=NOW),
            event_id=self.event.id,
            name=name,
            price_cents=price_cents,
            currency=Currency.USD,
            capacity=capacity,
            shards=shards,
        )
        self.types[name] = ticket_type
        self.store.catalog.add_event(self.event, ticket_type)
        self.store.inventory.create(self.event.id, ticket_type.id, capacity, shards)
        return ticket_type.id

    def voucher(self, code: str, **fields: object) -> Voucher:
        voucher = Voucher(self.event.id, code, VoucherKind.PERCENT, 1000, **fields)  # type: ignore[arg-type]
        self.store.catalog.add_voucher(voucher)
        return voucher

    def priced(self, items: dict[str, int], *, voucher_code: str | None = None) -> PricedCart:
        """The cart as ``quote.price_cart`` prices it, from the fakes' catalog and shards."""
        voucher = self.store.catalog.voucher(self.event.id, voucher_code) if voucher_code else None
        cart = check_cart(
            self.event,
            {t.id: t for t in self.types.values()},
            [CartItem(self.types[name].id, quantity) for name, quantity in items.items()],
            voucher=voucher,
            voucher_code=voucher_code,
            now=NOW,
        )
        priced = quote(
            cart.lines,
            fee_tier=tier_for_trailing_gross(0),
            tax=jurisdiction_for(VenueAddress(country="US", state="TN", city="Nashville")),
            currency=self.event.currency,
            voucher=cart.discount,
        )
        return PricedCart(
            event=self.event,
            cart=cart,
            quote=priced,
            voucher_code=voucher_code,
            voucher=voucher,
            inventory_owners={t.id: t.shards for t in self.types.values()},
        )

    def seats(self, name: str) -> tuple[int, int, int]:
        totals = self.store.inventory.of_owner(self.event.id, self.types[name].id).totals
        return totals.available, totals.held, totals.sold


def open_shop() -> Shop:
    event = Event(
        id=new_id(Prefix.EVENT, now=NOW),
        venue_id=new_id(Prefix.VENUE, now=NOW),
        owner_id=new_id(Prefix.USER, now=NOW),
        title="Show",
        description="",
        category=Category.MUSIC,
        starts_at=NOW + timedelta(days=9),
        ends_at=NOW + timedelta(days=9, hours=2),
        timezone="America/Chicago",
        city="Nashville",
        currency=Currency.USD,
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=9),
        registration_deadline=NOW + timedelta(days=8),
        created_at=NOW - timedelta(days=2),
        status=EventStatus.PUBLISHED,
    )
    ports = fake_ports()
    assert isinstance(ports.store, FakeStore)
    ports.store.catalog.add_venue(
        Venue(
            id=event.venue_id,
            owner_id=event.owner_id,
            name="Hall",
            address=Address("1 Broadway", "Nashville", "37203", "US", state="TN"),
            timezone=event.timezone,
            created_at=event.created_at,
        )
    )
    return Shop(ports=ports, event=event)


def a_buyer() -> Principal:
    return Principal(
        user_id=new_id(Prefix.USER, now=NOW), roles=frozenset({Role.BUYER}), email="b@example.com"
    )
