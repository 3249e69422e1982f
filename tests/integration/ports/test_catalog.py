"""The catalog as the purchase path reads it: an event and its ticket types."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from admitone.domain.catalog import Category, Event, EventStatus, TicketType
from admitone.domain.money import Currency
from admitone.ports.store import Store
from tests.fakes.store import FakeStore
from tests.integration.ports.given import NOW


def test_an_event_and_its_ticket_types_read_back_as_stored(store: Store):
    event = Event(
        id="evt_catalog",
        venue_id="ven_1",
        owner_id="usr_owner",
        title="Show",
        description="",
        category=Category.MUSIC,
        starts_at=NOW + timedelta(days=9),
        ends_at=NOW + timedelta(days=9, hours=2),
        timezone="America/Chicago",
        city="nashville",
        currency=Currency.USD,
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=9),
        registration_deadline=NOW + timedelta(days=8),
        created_at=NOW,
        status=EventStatus.PUBLISHED,
    )
    ga = TicketType("tty_ga", event.id, "GA", 5000, Currency.USD, capacity=10)
    vip = replace(ga, id="tty_vip", name="VIP", price_cents=9000)
    if isinstance(store, FakeStore):
        store.catalog.add_event(event, ga, vip)
    else:
        from admitone.adapters.dynamo import catalog, inventory, table  # noqa: PLC0415

        catalog.create_event(event)
        for ticket_type in (ga, vip):
            table.transact(
                catalog.ticket_type_ops(
                    ticket_type, inventory.new_inventory_ops(event.id, ticket_type.id, 10, 1)
                )
            )

    assert store.catalog.event(event.id) == event
    assert store.catalog.ticket_types(event.id) == {"tty_ga": ga, "tty_vip": vip}
    assert store.catalog.event("evt_missing") is None
