"""Who may manage what in the catalog: the owner while an organizer (or an admin) sees
a venue or an event; anyone else is told it does not exist (404, never 403)."""

from __future__ import annotations

from admitone.adapters.dynamo import catalog
from admitone.domain.accounts import Principal
from admitone.domain.catalog import Event, Venue
from admitone.domain.errors import Forbidden, NotFound
from admitone.domain.jwt_tokens import Role


def require_organizer(caller: Principal) -> None:
    if not caller.has_any(Role.ORGANIZER, Role.ADMIN):
        raise Forbidden("Only organizers can do this.")


def owned_venue(venue_id: str, caller: Principal) -> Venue:
    venue = catalog.get_venue(venue_id)
    if venue is None or not caller.manages(venue.owner_id):
        raise NotFound("No such venue.")
    return venue


def owned_event(event_id: str, caller: Principal) -> catalog.EventPartition:
    partition = catalog.event_partition(event_id)
    event = partition.event
    if event is None or not caller.manages(event.owner_id):
        raise NotFound("No such event.")
    return partition


def event_of(partition: catalog.EventPartition) -> Event:
    assert partition.event is not None  # owned_event checked it
    return partition.event
