"""A third-party fuzzer holds the local stack to openapi.json: schemathesis generates
valid and invalid requests for every operation, signed in as the route needs (a buyer,
the organizer who owns the demo's venue and event, an admin, a scanner of that venue on
a paired gate device), and every answer must be no 5xx, a documented status and content
type, a body that fits its schema, and a refusal for data the document says is invalid.

Bounded: a fixed number of examples per operation, hypothesis derandomized (the same
cases on every run). Each request leaves
from its own loopback address (127.0.0.0/8 is all this machine), so the per-IP rate
limits see many clients, as they would in production, instead of turning the run into a
wall of 429s; per-user and per-device limits still apply and are documented answers.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from admitone.domain.ids import Prefix, id_pattern
from scripts import demo_story
from scripts.devstack.loopback import client_from
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import FUZZ_TALLY, FuzzTally, StartStack

pytestmark = pytest.mark.e2e

DEV_ADMIN = ("admin@admitone.local", "admitone-dev-password")
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass(frozen=True)
class World:
    """Real resources the fuzzer's requests may name, and the credentials to reach them."""

    api_url: str
    buyer: str
    organizer: str
    admin: str
    scanner: str
    device: str
    ids: dict[str, str]


_setup_addresses = itertools.count(2)


def _api(api_url: str) -> demo_story.Api:
    """A client of its own address: the setup's sign-ins stay inside the per-IP limits."""
    api = demo_story.Api(api_url)
    api.session = client_from(f"127.78.0.{next(_setup_addresses)}")
    return api


def _login(api: demo_story.Api, address: str, password: str) -> str:
    api.login(address, password)
    assert api.token is not None
    return api.token


def _scanner(api_url: str, moto_url: str, organizer: demo_story.Api, venue_id: str) -> str:
    """A gate scanner of the venue: registered, verified, given the role by its owner."""
    address = f"scanner-{uuid.uuid4().hex[:8]}@example.com"
    scanner = _api(api_url)
    scanner.call(
        "POST",
        "/auth/register",
        {"email": address, "password": demo_story.PASSWORD, "name": "Gate"},
    )
    token = demo_story.verification_token(moto_url, address)
    scanner.call("POST", "/auth/verify-email", {"token": token})
    organizer.call("POST", f"/venues/{venue_id}/staff", {"email": address, "role": "scanner"})
    return _login(scanner, address, demo_story.PASSWORD)


@pytest.fixture(scope="module")
def world(start_stack: StartStack, tmp_path_factory: pytest.TempPathFactory) -> World:
    # The demo's resale chapter waits out the cooling period: a few seconds, not ten minutes.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ADMITONE_RESALE_COOLING_SECONDS", "5")
        stack: LocalStack = start_stack(ROOT / "template.yaml")[0]
        story = demo_story.run(
            stack.api_url, stack.moto_url, stack.stripe_url, tmp_path_factory.mktemp("fuzz")
        )
    organizer = _api(stack.api_url)
    organizer.token = story.organizer_token
    ticket = story.order["tickets"][0]
    return World(
        api_url=stack.api_url,
        buyer=_login(_api(stack.api_url), story.buyer_email, demo_story.PASSWORD),
        organizer=story.organizer_token,
        admin=_login(_api(stack.api_url), *DEV_ADMIN),
        scanner=_scanner(stack.api_url, stack.moto_url, organizer, story.venue_id),
        device=demo_story.pair_gate_device(organizer, story.venue_id, "fuzz gate"),
        ids={
            "event_id": story.event_id,
            "venue_id": story.venue_id,
            "order_id": story.order["order_id"],
            "ticket_id": ticket["id"],
            "ticket_type_id": ticket["ticket_type_id"],
        },
    )


def _sessions() -> Iterator[requests.Session]:
    for third, fourth in itertools.cycle(itertools.product(range(10, 250), range(2, 250))):
        yield client_from(f"127.77.{third}.{fourth}")


_next_session = _sessions()
_session_lock = threading.Lock()


def _session() -> requests.Session:
    with _session_lock:
        return next(_next_session)


# The committed document: one test per operation. The stack's address is only known
# once it runs, so each call names it.
schema = schemathesis.openapi.from_dict(json.loads((ROOT / "openapi.json").read_text()))
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION)


_BROWSING = {("GET", "/events"), ("GET", "/events/{event_id}")}
_ORGANIZERS = ("/venues", "/webhook-endpoints", "/devices", "/events")


def _credentials(world: World, method: str, path: str) -> dict[str, str]:
    bearer = world.buyer
    if path.startswith("/admin"):
        bearer = world.admin
    elif path == "/events/{event_id}/scans":
        bearer = world.scanner
    elif path.startswith(_ORGANIZERS) and (method, path) not in _BROWSING:
        bearer = world.organizer
    return {"Authorization": f"Bearer {bearer}", "X-Device-Token": world.device}


def _known_ids(world: World, case: Any) -> None:
    # Half of the generated ids become real ones (by a checksum of the generated value, so
    # a seed still reproduces a run): the rest probe unknown and malformed ids.
    # A value that is no id at all stays: a negative case broke its pattern on purpose, and
    # a real id in its place would make it a valid request that rightly succeeds.
    for name, value in (case.path_parameters or {}).items():
        if name not in world.ids or not isinstance(value, str):
            continue
        pattern = id_pattern(Prefix(world.ids[name].split("_", 1)[0]))
        well_formed = re.fullmatch(pattern, value) is not None
        if well_formed and zlib.crc32(value.encode()) % 2:
            case.path_parameters[name] = world.ids[name]


@schema.parametrize()
@settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_contract_says(
    case: Any, world: World, request: pytest.FixtureRequest
) -> None:
    _known_ids(world, case)
    headers = _credentials(world, case.method.upper(), case.path)
    # Whatever the case generated for these (including invalid values) wins.
    headers.update(case.headers or {})
    tally = request.config.stash.setdefault(FUZZ_TALLY, FuzzTally())
    response = case.call(base_url=world.api_url, session=_session(), headers=headers, timeout=60)
    tally.record(case.operation.label, response.status_code)
    case.validate_response(response, checks=CHECKS, headers=headers)
