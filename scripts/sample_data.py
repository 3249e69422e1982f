"""Sample data on the running local stack, through its API as a client would: the dev
organizer's venue and two events on sale, each with two ticket types.

Idempotent: an event already there (found by its title in the public search) is left
alone, and a second run creates nothing and says so. The organizer is the account
``scripts/run`` creates (scripts/devstack/seed.py); its password is
ADMITONE_DEV_PASSWORD, as for scripts/run (default "admitone-dev-password").

Everything lives in moto's memory: a restart of scripts/run wipes it; run this again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from admitone.domain.jwt_tokens import Role
from scripts.demo_story import Api, DemoFailed, iso, money
from scripts.devstack.endpoints import PORTS_HELP, Endpoints, require
from scripts.devstack.failures import ToolFailure
from scripts.devstack.seed import ACCOUNTS, DEFAULT_PASSWORD

ORGANIZER = next(email for email, (_, roles) in ACCOUNTS.items() if Role.ORGANIZER in roles)
VENUE: dict[str, Any] = {
    "name": "The Sample Hall",
    "timezone": "America/Chicago",
    "address": {
        "line1": "100 Broadway",
        "city": "Nashville",
        "state": "TN",
        "postal_code": "37201",
        "country": "US",
    },
}


@dataclass(frozen=True)
class SampleEvent:
    title: str
    description: str
    category: str
    days_ahead: int
    ticket_types: tuple[tuple[str, int, int], ...]  # name, price in cents, capacity


EVENTS = (
    SampleEvent(
        title="Sample Lakeside Jazz Night",
        description="A quartet by the water; sample data from scripts/seed.",
        category="music",
        days_ahead=30,
        ticket_types=(("General admission", 3500, 300), ("Front row", 9000, 20)),
    ),
    SampleEvent(
        title="Sample Stand-up Showcase",
        description="Five comics, one evening; sample data from scripts/seed.",
        category="comedy",
        days_ahead=45,
        ticket_types=(("Standard", 2500, 150), ("Balcony", 1500, 80)),
    ),
)


class SeedFailed(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    created: list[str]  # what this run created, one phrase each
    events: list[dict[str, Any]]  # every sample event as GET /events/{id} shows it


def seed(api: Api, now: datetime) -> Outcome:
    """Create whatever of the sample venue and events is missing; already signed in."""
    created: list[str] = []
    found = {sample.title: find_event(api, sample.title) for sample in EVENTS}
    venue_id = next((event["venue_id"] for event in found.values() if event), None)
    if venue_id is None:
        venue_id = api.call("POST", "/venues", VENUE)["id"]
        created.append(f"venue {VENUE['name']} ({venue_id})")
    event_ids = []
    for sample in EVENTS:
        existing = found[sample.title]
        if existing is None:
            event_id = create_event(api, venue_id, sample, now)
            created.append(f'event "{sample.title}" ({event_id})')
        else:
            event_id = existing["id"]
        event_ids.append(event_id)
    return Outcome(created, [api.call("GET", f"/events/{event_id}") for event_id in event_ids])


def find_event(api: Api, title: str) -> dict[str, Any] | None:
    """The published event called ``title``, if the public search knows it."""
    page = api.call("GET", f"/events?q={quote(title)}&limit=100")
    return next((event for event in page["events"] if event["title"] == title), None)


def create_event(api: Api, venue_id: str, sample: SampleEvent, now: datetime) -> str:
    starts = (now + timedelta(days=sample.days_ahead)).replace(
        hour=1, minute=0, second=0, microsecond=0
    )
    event = api.call(
        "POST",
        "/events",
        {
            "venue_id": venue_id,
            "title": sample.title,
            "description": sample.description,
            "category": sample.category,
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=3)),
            "sales_start": iso(now - timedelta(minutes=1)),
            "sales_end": iso(starts),
        },
    )
    for name, price_cents, capacity in sample.ticket_types:
        api.call(
            "POST",
            f"/events/{event['id']}/ticket-types",
            {"name": name, "price_cents": price_cents, "capacity": capacity},
        )
    api.call("POST", f"/events/{event['id']}/publish", {})
    return str(event["id"])


def report(outcome: Outcome, password: str) -> str:
    lines = (
        ["Created " + ", ".join(outcome.created) + "."]
        if outcome.created
        else ["The sample data is already there: nothing created."]
    )
    for event in outcome.events:
        types = ", ".join(
            f"{t['name']} {money(t['price_cents'], t['currency'])}" for t in event["ticket_types"]
        )
        lines.append(f"  {event['title']} ({event['id']}), {event['starts_at']}: {types}")
    lines.append(f"Sign in as the sample organizer: {ORGANIZER} / {password}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="scripts/seed",
        description=__doc__,
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
    password = os.environ.get("ADMITONE_DEV_PASSWORD") or DEFAULT_PASSWORD
    try:
        api_url = Endpoints.from_environment().api
        require(api_url, "the API", "ADMITONE_API_PORT", "/health")
        api = Api(api_url)
        try:
            api.login(ORGANIZER, password)
        except DemoFailed as failure:
            raise SeedFailed(
                f"{ORGANIZER} could not sign in ({failure}); if scripts/run was started "
                "with ADMITONE_DEV_PASSWORD, set the same here."
            ) from None
        outcome = seed(api, datetime.now(UTC))
    except ToolFailure as stopped:  # the stack is not running, or a port variable is wrong
        print(stopped, file=sys.stderr)
        return stopped.status
    except requests.RequestException as lost:
        print(f"The API stopped answering half-way ({type(lost).__name__}).", file=sys.stderr)
        return 1
    except (SeedFailed, DemoFailed) as failure:
        print(f"The sample data could not be created: {failure}", file=sys.stderr)
        return 1
    print(report(outcome, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
