"""Issue 16, items 1 and 2: gate devices outlive their staff; scan limits keyed on what
the client chooses.

A device belongs to the person who paired it and to the venue: it works only while it
is not revoked, not expired (30 days from pairing or renewal) and its pairer still works
the venue's gates (staff of the venue, or its owner holding the organizer role, with an
account that exists and is not suspended). Device routes authenticate the device before
anything else and are rate limited by source address until the device authenticates.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import accounts, catalog, keys
from admitone.adapters.dynamo import gate_access as device_store
from admitone.adapters.dynamo.table import put
from admitone.config import settings
from admitone.domain.accounts import Principal
from admitone.domain.gate_access import Device
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role
from admitone.http import rate_limiting
from admitone.services.gate_access import create_pairing_code, pair_device
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Gates, buy, gate_crew, tonight_shop
from tests.integration.shop import Shop

VENUE_IP = "203.0.113.77"
# 18:06:20 UTC: the whole test runs in one rate-limit window.
WINDOW = datetime(2026, 11, 23, 18, 6, 20, tzinfo=UTC)


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


@pytest.fixture
def crew(shop: Shop) -> Gates:
    return gate_crew(shop, devices=2)


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limiting, "clock", lambda: WINDOW)


def bundle(crew: Gates, device: str, **kwargs: Any) -> Any:
    return crew.shop.api.get(
        f"/events/{crew.shop.event_id}/scanner-bundle",
        headers={"X-Device-Token": device},
        **kwargs,
    )


def upload_admitted(crew: Gates, device: str, token: str, *, event_id: str | None = None) -> Any:
    scan = {
        "nonce": uuid.uuid4().hex,
        "token": token,
        "gate": "North",
        "scanned_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return crew.shop.api.post(
        f"/events/{event_id or crew.shop.event_id}/scans/offline",
        {"scans": [scan]},
        headers={"X-Device-Token": device},
    )


def remove_scanner(crew: Gates) -> None:
    removed = crew.shop.api.request(
        "DELETE",
        f"/venues/{crew.venue_id}/staff/{crew.scanner_id}",
        token=crew.shop.organizer_token,
    )
    assert removed.status == 204, removed.body


def device_id(token: str) -> str:
    return token.split(".", maxsplit=1)[0]


def refused_device(response: Any) -> None:
    assert response.status == 401, response.body
    assert response.json()["code"] == "DEVICE_TOKEN_INVALID"


def list_devices(crew: Gates, query: str = "", token: str | None = None) -> Any:
    return crew.shop.api.get(
        f"/venues/{crew.venue_id}/devices{query}", token=token or crew.shop.organizer_token
    )


def set_user_attribute(aws: AwsStack, user_id: str, name: str, value: Any) -> None:
    aws.use_function("HealthFunction")
    aws.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key={k: {"S": v} for k, v in keys.user(user_id).items()},
        UpdateExpression="SET #name = :value",
        ExpressionAttributeNames={"#name": name},
        ExpressionAttributeValues={":value": value},
    )


# ------------------------------------------------ item 1: devices outlive staff
def test_removing_a_scanner_stops_every_device_they_paired_at_once(crew: Gates):
    ticket = buy(crew.shop, 1).tickets[0]
    assert bundle(crew, crew.devices[0]).status == 200

    remove_scanner(crew)

    for device in crew.devices:
        refused_device(bundle(crew, device))
        refused_device(upload_admitted(crew, device, ticket["qr_token"]))
    fetched = crew.shop.api.get(f"/tickets/{ticket['id']}", token=crew.shop.organizer_token)
    assert fetched.json()["scans"] == 0


def test_re_adding_a_removed_scanner_does_not_revive_their_old_devices(crew: Gates):
    remove_scanner(crew)
    email = f"{crew.scanner_id}@example.com"
    added = crew.shop.api.post(
        f"/venues/{crew.venue_id}/staff",
        {"email": email, "role": "scanner"},
        token=crew.shop.organizer_token,
    )
    assert added.status == 201, added.body

    refused_device(bundle(crew, crew.devices[0]))


def test_a_suspended_pairers_devices_stop_working(aws: AwsStack, crew: Gates):
    assert bundle(crew, crew.devices[0]).status == 200

    set_user_attribute(
        aws, crew.scanner_id, "suspended_at", {"N": str(int(datetime.now(UTC).timestamp()))}
    )

    refused_device(bundle(crew, crew.devices[0]))


def test_a_device_whose_pairers_account_is_gone_stops_working(aws: AwsStack, crew: Gates):
    aws.use_function("HealthFunction")
    aws.client("dynamodb").delete_item(
        TableName=settings().table_name,
        Key={k: {"S": v} for k, v in keys.user(crew.scanner_id).items()},
    )

    refused_device(bundle(crew, crew.devices[0]))


def test_an_owners_device_stops_when_they_no_longer_hold_the_organizer_role(
    aws: AwsStack, crew: Gates
):
    aws.use_function("HealthFunction")
    venue = catalog.get_venue(crew.venue_id)
    assert venue is not None
    owner = accounts.user_by_id(venue.owner_id)  # the organizer's token speaks for this user
    assert owner is not None
    assert Role.ORGANIZER in owner.roles
    api = crew.shop.api
    code = api.post(f"/venues/{crew.venue_id}/devices", {}, token=crew.shop.organizer_token)
    paired = api.post(
        "/devices/pair",
        {"code": code.json()["code"], "name": "Owner's gate"},
        token=crew.shop.organizer_token,
    )
    assert paired.status == 201, paired.body
    device = paired.json()["device_token"]
    assert bundle(crew, device).status == 200

    aws.use_function("HealthFunction")
    accounts.set_roles(owner.id, (Role.BUYER,), now=datetime.now(UTC))

    refused_device(bundle(crew, device))


def old_device(aws: AwsStack, crew: Gates, *, age: timedelta) -> str:
    """A device the crew's scanner paired ``age`` ago."""
    aws.use_function("PairDeviceFunction")
    organizer = Principal(new_id(Prefix.USER), frozenset({Role.ADMIN}), "admin@example.com")
    code = create_pairing_code(crew.venue_id, organizer)
    paired = pair_device(code.code, "Drawer", crew.scanner, now=datetime.now(UTC) - age)
    return paired.token


def test_a_device_token_expires_30_days_after_pairing(aws: AwsStack, crew: Gates):
    assert bundle(crew, old_device(aws, crew, age=timedelta(days=29))).status == 200
    refused_device(bundle(crew, old_device(aws, crew, age=timedelta(days=30, minutes=1))))


def test_a_supervisor_renews_an_expired_device_for_another_30_days(aws: AwsStack, crew: Gates):
    device = old_device(aws, crew, age=timedelta(days=31))
    path = f"/venues/{crew.venue_id}/devices/{device_id(device)}/renewal"
    assert crew.shop.api.post(path, {}, token=crew.scanner_token).status == 403

    renewed = crew.shop.api.post(path, {}, token=crew.shop.organizer_token)

    assert renewed.status == 200, renewed.body
    expires_at = datetime.fromisoformat(renewed.json()["expires_at"])
    assert timedelta(days=29, hours=23) < expires_at - datetime.now(UTC) <= timedelta(days=30)
    assert renewed.json()["status"] == "active"
    assert bundle(crew, device).status == 200


def test_a_revoked_device_cannot_be_renewed(crew: Gates):
    device = device_id(crew.devices[0])
    api, organizer = crew.shop.api, crew.shop.organizer_token
    revoked = api.request("DELETE", f"/venues/{crew.venue_id}/devices/{device}", token=organizer)
    assert revoked.status == 200, revoked.body

    renewed = api.post(f"/venues/{crew.venue_id}/devices/{device}/renewal", {}, token=organizer)

    assert renewed.status == 409, renewed.body
    assert renewed.json()["code"] == "DEVICE_REVOKED"
    refused_device(bundle(crew, crew.devices[0]))


def test_removing_a_scanner_revokes_all_of_their_many_devices(aws: AwsStack, crew: Gates):
    # More devices than one transaction holds (100 operations).
    aws.use_function("RemoveStaffFunction")
    now = datetime.now(UTC)
    for n in range(120):
        device = Device(
            id=new_id(Prefix.DEVICE, now=now),
            venue_id=crew.venue_id,
            name=f"Gate {n}",
            secret_hash="0" * 64,
            paired_by=crew.scanner_id,
            paired_at=now,
        )
        put(device_store._device_item(device))

    remove_scanner(crew)

    statuses = []
    cursor = ""
    while cursor is not None:
        page = list_devices(crew, f"?limit=100{cursor and f'&cursor={cursor}'}").json()
        statuses += [(d["status"], d["revoked_reason"]) for d in page["devices"]]
        cursor = page["next_cursor"]
    assert statuses == [("revoked", "staff_removed")] * 122


def test_a_device_whose_pairer_lost_standing_is_not_renewed(aws: AwsStack, crew: Gates):
    set_user_attribute(
        aws, crew.scanner_id, "suspended_at", {"N": str(int(datetime.now(UTC).timestamp()))}
    )

    renewed = crew.shop.api.post(
        f"/venues/{crew.venue_id}/devices/{device_id(crew.devices[0])}/renewal",
        {},
        token=crew.shop.organizer_token,
    )

    assert renewed.status == 409, renewed.body
    assert renewed.json()["code"] == "DEVICE_PAIRER_INACTIVE"


def test_supervisors_list_the_venues_devices_with_status_and_last_use(crew: Gates):
    ticket = buy(crew.shop, 1).tickets[0]
    assert crew.scan(ticket["qr_token"], device=crew.devices[0]).status == 200
    unused = crew.pair("Never used")
    first_seen = list_devices(crew).json()["devices"][-1]["last_seen_at"]
    # Within the minute, a device's use is not written again.
    assert crew.scan(ticket["qr_token"], device=crew.devices[0]).status == 200

    listed = list_devices(crew)

    assert listed.status == 200, listed.body
    by_id = {d["device_id"]: d for d in listed.json()["devices"]}
    assert set(by_id) == {device_id(d) for d in crew.devices}
    used, idle = by_id[device_id(crew.devices[0])], by_id[device_id(unused)]
    assert used["last_seen_at"] is not None
    assert used["last_seen_at"] == first_seen
    assert idle["last_seen_at"] is None
    assert idle["name"] == "Never used"
    assert idle["paired_by"] == crew.scanner_id
    assert idle["status"] == "active"
    assert idle["revoked_at"] is None
    assert idle["revoked_reason"] is None
    paired_at = datetime.fromisoformat(idle["paired_at"])
    assert datetime.fromisoformat(idle["expires_at"]) == paired_at + timedelta(days=30)
    assert "secret_hash" not in idle
    assert listed.json()["next_cursor"] is None
    # Newest first.
    assert listed.json()["devices"][0]["device_id"] == device_id(unused)


def test_the_listing_shows_a_removed_scanners_devices_as_revoked_with_the_reason(crew: Gates):
    remove_scanner(crew)

    devices = list_devices(crew).json()["devices"]

    assert [d["status"] for d in devices] == ["revoked", "revoked"]
    assert [d["revoked_reason"] for d in devices] == ["staff_removed", "staff_removed"]
    assert all(d["revoked_at"] is not None for d in devices)


def test_the_listing_shows_a_device_whose_pairer_lost_standing(aws: AwsStack, crew: Gates):
    set_user_attribute(
        aws, crew.scanner_id, "suspended_at", {"N": str(int(datetime.now(UTC).timestamp()))}
    )

    devices = list_devices(crew).json()["devices"]

    assert {d["status"] for d in devices} == {"pairer_inactive"}


def _as_paired_before_the_listing(aws: AwsStack, device_token: str) -> None:
    """The device item as a release without the venue listing wrote it."""
    aws.use_function("HealthFunction")
    device_id = device_token.partition(".")[0]
    aws.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key={k: {"S": v} for k, v in keys.device(device_id).items()},
        UpdateExpression="REMOVE GSI1PK, GSI1SK",
    )


def test_the_backfill_lists_devices_paired_before_the_listing_so_removal_revokes_them(
    aws: AwsStack, crew: Gates
):
    from scripts.backfill_device_listing import run as backfill  # noqa: PLC0415

    for device in crew.devices:
        _as_paired_before_the_listing(aws, device)
    assert list_devices(crew).json()["devices"] == []

    aws.use_function("HealthFunction")
    assert backfill() == 2
    assert backfill() == 0  # a second run finds nothing left to do
    assert {d["status"] for d in list_devices(crew).json()["devices"]} == {"active"}

    remove_scanner(crew)
    devices = list_devices(crew).json()["devices"]
    assert [d["revoked_reason"] for d in devices] == ["staff_removed", "staff_removed"]


def test_the_listing_pages_and_is_for_supervisors_only(crew: Gates):
    crew.pair("Third")
    first = list_devices(crew, "?limit=2").json()
    assert len(first["devices"]) == 2
    rest = list_devices(crew, f"?limit=2&cursor={first['next_cursor']}").json()
    assert len(rest["devices"]) == 1
    assert rest["next_cursor"] is None
    assert list_devices(crew, "?limit=101").status == 422

    assert list_devices(crew, token=crew.scanner_token).status == 403
    _, stranger = crew.shop.buyer()
    assert list_devices(crew, token=stranger).status == 404


# ----------------------------------------- item 2: limits keyed on the client's choice
def test_rotating_forged_device_tokens_from_one_address_is_rate_limited(
    crew: Gates, one_window: None
):
    path = f"/events/{crew.shop.event_id}/scans/offline"
    statuses = []
    for _ in range(200):
        forged = f"{new_id(Prefix.DEVICE)}.{uuid.uuid4().hex}"
        response = crew.shop.api.post(
            path,
            {
                "scans": [
                    {"nonce": uuid.uuid4().hex, "token": "x", "scanned_at": "2026-11-23T18:00:00Z"}
                ]
            },
            headers={"X-Device-Token": forged},
            ip=VENUE_IP,
        )
        statuses.append(response.status)

    # Counted like any other request of the address (RULES §16: 60 a minute per IP).
    assert statuses[:60] == [401] * 60
    assert set(statuses[60:]) == {429}


def test_rotating_forged_tokens_on_the_online_scan_route_is_rate_limited(
    crew: Gates, one_window: None
):
    path = f"/events/{crew.shop.event_id}/scans"
    statuses = [
        crew.shop.api.post(
            path,
            {"token": "x"},
            token=crew.scanner_token,
            headers={"X-Device-Token": f"{new_id(Prefix.DEVICE)}.{uuid.uuid4().hex}"},
            ip=VENUE_IP,
        ).status
        for _ in range(61)
    ]

    assert statuses == [401] * 60 + [429]


def test_a_flood_of_forged_tokens_does_not_stop_the_venues_real_gates(
    crew: Gates, one_window: None
):
    forged = [
        crew.shop.api.post(
            f"/events/{crew.shop.event_id}/scans",
            {"token": "x"},
            token=crew.scanner_token,
            headers={"X-Device-Token": f"{new_id(Prefix.DEVICE)}.forged"},
            ip=VENUE_IP,
        ).status
        for _ in range(61)
    ]
    assert forged[-1] == 429

    # The real device, behind the same address, is counted as itself: 100 a minute.
    real = [
        crew.shop.api.post(
            f"/events/{crew.shop.event_id}/scans",
            {"token": "garbage"},
            token=crew.scanner_token,
            headers={"X-Device-Token": crew.devices[0]},
            ip=VENUE_IP,
        )
        for _ in range(101)
    ]
    assert [r.status for r in real] == [200] * 100 + [429]
    assert real[-1].json()["family"] == "scan"


def test_an_offline_upload_authenticates_the_device_before_reading_the_event(crew: Gates):
    forged = f"{new_id(Prefix.DEVICE)}.{uuid.uuid4().hex}"
    missing_event = new_id(Prefix.EVENT)

    # Nothing about the event is looked up (or revealed) for an unknown device.
    refused_device(upload_admitted(crew, forged, "x", event_id=missing_event))
    refused_device(bundle_of(crew, forged, missing_event))
    # A real device does learn that there is no such event.
    assert upload_admitted(crew, crew.devices[0], "x", event_id=missing_event).status == 404


def bundle_of(crew: Gates, device: str, event_id: str) -> Any:
    return crew.shop.api.get(
        f"/events/{event_id}/scanner-bundle", headers={"X-Device-Token": device}
    )
