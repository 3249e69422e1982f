"""Venues: create, read, change (owners)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from admitone.adapters.dynamo import catalog
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Address, Venue, check_royalty_rates, check_timezone
from admitone.domain.errors import InvalidVenueAddress, NotFound
from admitone.domain.ids import Prefix, new_id
from admitone.domain.tax import VenueAddress, jurisdiction_for
from admitone.services.catalog_access import owned_venue, require_organizer


def _check_address(address: Address) -> None:
    # The address decides the sales tax: refuse one the tax table cannot place.
    try:
        jurisdiction_for(
            VenueAddress(country=address.country, state=address.state, city=address.city)
        )
    except InvalidVenueAddress as invalid:
        # Name the request's own fields (address.state), not the tax module's.
        raise InvalidVenueAddress(
            invalid.detail,
            errors=tuple(
                replace(error, field=error.field.replace("venue_address.", "address."))
                for error in invalid.errors
            ),
        ) from None


def create_venue(
    caller: Principal, *, name: str, address: Address, timezone: str, now: datetime | None = None
) -> Venue:
    require_organizer(caller)
    check_timezone(timezone)
    _check_address(address)
    now = now or datetime.now(UTC)
    venue = Venue(
        id=new_id(Prefix.VENUE, now=now),
        owner_id=caller.user_id,
        name=name,
        address=address,
        timezone=timezone,
        created_at=now,
    )
    catalog.create_venue(venue)
    return venue


def get_venue(venue_id: str) -> Venue:
    venue = catalog.get_venue(venue_id)
    if venue is None:
        raise NotFound("No such venue.")
    return venue


def update_venue(venue_id: str, caller: Principal, changes: dict[str, Any]) -> Venue:
    venue = owned_venue(venue_id, caller)
    if "timezone" in changes:
        check_timezone(changes["timezone"])
    if "address" in changes:
        _check_address(changes["address"])
    if "royalties" in changes:
        check_royalty_rates(changes["royalties"], "royalties")
    updated = replace(venue, **changes)
    catalog.save_venue(updated)
    return updated
