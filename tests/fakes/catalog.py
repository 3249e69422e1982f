"""The catalog and its vouchers, in memory (as adapters/dynamo/catalog.py, vouchers.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from admitone.domain.catalog import Event, TicketType, Venue, Voucher
from admitone.ports.catalog import Catalog
from admitone.ports.staging import Staged
from admitone.ports.vouchers import VoucherChanges
from tests.fakes.transaction import FakeTransaction


class FakeCatalog(Catalog):
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.types: dict[str, dict[str, TicketType]] = {}
        self.vouchers: dict[tuple[str, str], Voucher] = {}
        self.venues: dict[str, Venue] = {}

    def add_venue(self, venue: Venue) -> None:
        self.venues[venue.id] = venue

    def add_event(self, event: Event, *ticket_types: TicketType) -> None:
        self.events[event.id] = event
        self.types.setdefault(event.id, {}).update({t.id: t for t in ticket_types})

    def add_voucher(self, voucher: Voucher) -> None:
        self.vouchers[(voucher.event_id, voucher.code)] = voucher

    def voucher(self, event_id: str, code: str) -> Voucher | None:
        return self.vouchers.get((event_id, code))

    def event(self, event_id: str) -> Event | None:
        return self.events.get(event_id)

    def venue(self, venue_id: str) -> Venue | None:
        return self.venues.get(venue_id)

    def ticket_types(self, event_id: str) -> dict[str, TicketType]:
        return dict(self.types.get(event_id, {}))


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class FakeVoucherChanges(VoucherChanges):
    def __init__(self, catalog: FakeCatalog, transaction: FakeTransaction) -> None:
        self._catalog = catalog
        self._transaction = transaction

    def _stage(
        self,
        event_id: str,
        code: str,
        holds: Callable[[Voucher | None], bool],
        change: Callable[[Voucher], Voucher],
    ) -> Staged[Voucher]:
        name = f"voucher {code}"
        key = (event_id, code)

        def apply() -> None:
            self._catalog.vouchers[key] = change(self._catalog.vouchers[key])

        self._transaction.stage(
            name,
            holds=lambda: holds(self._catalog.vouchers.get(key)),
            apply=apply,
            as_was=lambda: self._catalog.vouchers.get(key),
        )
        return Staged(name)

    def redeem(self, voucher: Voucher, discount_cents: int, *, now: datetime) -> Staged[Voucher]:
        if discount_cents < 0:
            raise ValueError(f"a discount cannot be negative: {discount_cents}")
        at = int(now.timestamp())
        read_budget = voucher.budget_cents

        def redeemable(stored: Voucher | None) -> bool:
            if stored is None:
                return False
            if stored.max_uses is not None and stored.uses >= stored.max_uses:
                return False
            budget = stored.budget_cents
            if discount_cents == 0:
                fits = budget is None or stored.spent_cents <= budget
            elif read_budget is None:
                fits = budget is None  # read as unlimited: a budget added since is not overdrawn
            else:
                fits = budget is None or (
                    budget >= read_budget and stored.spent_cents <= read_budget - discount_cents
                )
            starts, ends = _epoch(stored.valid_from), _epoch(stored.valid_to)
            in_window = (starts is None or starts <= at) and (ends is None or ends > at)
            return fits and in_window

        return self._stage(
            voucher.event_id,
            voucher.code,
            redeemable,
            lambda v: replace(v, uses=v.uses + 1, spent_cents=v.spent_cents + discount_cents),
        )

    def give_back(self, event_id: str, code: str, discount_cents: int) -> Staged[Voucher]:
        if discount_cents < 0:
            raise ValueError(f"a discount cannot be negative: {discount_cents}")
        return self._stage(
            event_id,
            code,
            lambda v: v is not None and v.uses >= 1 and v.spent_cents >= discount_cents,
            lambda v: replace(v, uses=v.uses - 1, spent_cents=v.spent_cents - discount_cents),
        )
