"""Gate check-in (issue 7): staff and devices, online scans raced by real threads,
offline uploads with conflicts, the scanner bundle a device judges with, live counts."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.domain.checkin import Gate, ScanResult, VoidReason, judge, unseal
from admitone.services.checkin import scan_ticket
from admitone.services.gate_access import authenticate_device
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Gates, buy, gate_crew, tickets, tonight_shop
from tests.integration.shop import Shop


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


@pytest.fixture
def crew(shop: Shop) -> Gates:
    return gate_crew(shop, devices=2)


def race(calls: int, action: Any) -> list[Any]:
    """Run ``action(i)`` on ``calls`` threads released at the same moment."""
    start = threading.Barrier(calls)

    def run(index: int) -> Any:
        start.wait()
        return action(index)

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(run, range(calls)))


def offline(token: str, *, at: datetime, gate: str, nonce: str | None = None) -> dict[str, Any]:
    return {
        "nonce": nonce or uuid.uuid4().hex,
        "token": token,
        "gate": gate,
        "scanned_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def upload(crew: Gates, device: str, scans: list[dict[str, Any]]) -> Any:
    return crew.shop.api.post(
        f"/events/{crew.shop.event_id}/scans/offline",
        {"scans": scans},
        headers={"X-Device-Token": device},
    )


def bundle(crew: Gates, device: str, since: str | None = None) -> dict[str, Any]:
    query = f"?since={since}" if since else ""
    response = crew.shop.api.get(
        f"/events/{crew.shop.event_id}/scanner-bundle{query}", headers={"X-Device-Token": device}
    )
    assert response.status == 200, response.body
    return response.json()


# ------------------------------------------------------------------- online
def test_a_scan_admits_once_then_answers_already_used_with_the_first_scan(crew: Gates):
    ticket = buy(crew.shop, 1).tickets[0]
    first = crew.scan(ticket["qr_token"], gate="North")
    assert first.status == 200, first.body
    assert first.json()["result"] == "admitted"
    assert first.json()["ticket"]["code"] == ticket["code"]
    assert first.json()["ticket"]["type"] == "GA"
    assert first.json()["scans_left"] == 0

    again = crew.scan(ticket["qr_token"], device=crew.devices[1], gate="South")
    assert again.json()["result"] == "already_used"
    assert again.json()["first_scan"]["gate"] == "North"


@pytest.mark.race
def test_two_gates_scanning_one_ticket_at_once_admit_it_exactly_once_100_times(crew: Gates):
    for run, ticket in enumerate(tickets(crew.shop, 100)):
        results = race(
            2,
            lambda gate, token=ticket["qr_token"]: (
                scan_ticket(
                    crew.shop.event_id,
                    token,
                    caller=crew.scanner,
                    device=authenticate_device(crew.devices[gate]),
                    gate=f"gate-{gate}",
                ).result
            ),
        )
        assert sorted(results) == [ScanResult.ADMITTED, ScanResult.ALREADY_USED], f"run {run}"


def test_a_three_scan_ticket_admits_exactly_three_of_ten_concurrent_scans(api: Api, aws: AwsStack):
    festival = tonight_shop(api, aws, max_scans=3)
    crew = gate_crew(festival, devices=2)
    ticket = buy(festival, 1).tickets[0]
    results = race(
        10,
        lambda i: (
            scan_ticket(
                festival.event_id,
                ticket["qr_token"],
                caller=crew.scanner,
                device=authenticate_device(crew.devices[i % 2]),
                gate=f"gate-{i % 2}",
            ).result
        ),
    )
    assert Counter(results) == {ScanResult.ADMITTED: 3, ScanResult.ALREADY_USED: 7}
    fetched = api.get(f"/tickets/{ticket['id']}", token=festival.organizer_token)
    assert fetched.json()["scans"] == 3


@pytest.mark.parametrize(
    ("token", "result"), [("garbage", "invalid"), ("", None)], ids=["garbage", "empty"]
)
def test_unreadable_qr_is_an_answer_and_an_empty_one_a_bad_request(
    crew: Gates, token: str, result: str | None
):
    response = crew.scan(token)
    if result is None:
        assert response.status == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["body.token"]
    else:
        assert response.status == 200
        assert response.json() == {
            "result": result,
            "void_reason": None,
            "ticket": None,
            "scans_left": None,
            "first_scan": None,
        }


def test_another_events_ticket_is_wrong_event(api: Api, aws: AwsStack, crew: Gates):
    elsewhere = buy(tonight_shop(api, aws), 1).tickets[0]
    assert crew.scan(elsewhere["qr_token"]).json()["result"] == "wrong_event"


def test_a_ticket_for_next_week_is_not_yet_valid(api: Api, aws: AwsStack):
    from tests.integration.shop import open_shop  # noqa: PLC0415

    later = open_shop(api, aws)  # starts in nine days
    crew = gate_crew(later)
    ticket = buy(later, 1).tickets[0]
    assert crew.scan(ticket["qr_token"]).json()["result"] == "not_yet_valid"


def test_scanning_needs_staff_of_the_venue_and_a_live_device_of_it(
    api: Api, aws: AwsStack, crew: Gates
):
    ticket = buy(crew.shop, 1).tickets[0]
    path = f"/events/{crew.shop.event_id}/scans"
    body = {"token": ticket["qr_token"]}
    _, stranger = crew.shop.buyer()
    refused = api.post(path, body, token=stranger, headers={"X-Device-Token": crew.devices[0]})
    assert refused.status == 404
    no_device = api.post(path, body, token=crew.scanner_token)
    assert no_device.status == 401
    assert no_device.json()["code"] == "DEVICE_TOKEN_INVALID"
    other_venue = gate_crew(tonight_shop(api, aws))
    foreign = api.post(
        path, body, token=crew.scanner_token, headers={"X-Device-Token": other_venue.devices[0]}
    )
    assert foreign.status == 401

    device_id = crew.devices[0].split(".")[0]
    revoked = api.request(
        "DELETE", f"/venues/{crew.venue_id}/devices/{device_id}", token=crew.shop.organizer_token
    )
    assert revoked.status == 200, revoked.body
    assert revoked.json()["revoked_at"] is not None
    assert crew.scan(ticket["qr_token"], device=crew.devices[0]).status == 401
    assert crew.scan(ticket["qr_token"], device=crew.devices[1]).json()["result"] == "admitted"


def test_a_pairing_code_pairs_one_device_once(crew: Gates):
    api, organizer = crew.shop.api, crew.shop.organizer_token
    code = api.post(f"/venues/{crew.venue_id}/devices", {}, token=organizer).json()
    assert len(code["code"]) == 8
    first = api.post("/devices/pair", {"code": code["code"], "name": "A"}, token=crew.scanner_token)
    assert first.status == 201
    second = api.post(
        "/devices/pair", {"code": code["code"], "name": "B"}, token=crew.scanner_token
    )
    assert second.status == 422
    assert second.json()["code"] == "PAIRING_CODE_INVALID"
    _, stranger = crew.shop.buyer()
    fresh = api.post(f"/venues/{crew.venue_id}/devices", {}, token=organizer).json()["code"]
    assert api.post("/devices/pair", {"code": fresh, "name": "X"}, token=stranger).status == 404
    # Scanners pair devices; only supervisors hand out codes.
    assert api.post(f"/venues/{crew.venue_id}/devices", {}, token=crew.scanner_token).status == 403


def test_removed_staff_can_no_longer_scan(crew: Gates):
    ticket = buy(crew.shop, 1).tickets[0]
    removed = crew.shop.api.request(
        "DELETE",
        f"/venues/{crew.venue_id}/staff/{crew.scanner_id}",
        token=crew.shop.organizer_token,
    )
    assert removed.status == 204
    # Their devices went with them (tests/integration/security/test_gate_devices.py).
    refused = crew.scan(ticket["qr_token"])
    assert refused.status == 401
    assert refused.json()["code"] == "DEVICE_TOKEN_INVALID"


# ------------------------------------------------------------------ offline
def test_two_devices_admitting_one_ticket_offline_give_one_accepted_and_one_conflict(
    crew: Gates,
):
    ticket = buy(crew.shop, 1).tickets[0]
    now = datetime.now(UTC)
    north = [offline(ticket["qr_token"], at=now - timedelta(minutes=3), gate="North")]
    south = [offline(ticket["qr_token"], at=now - timedelta(minutes=2), gate="South")]

    first = upload(crew, crew.devices[0], north)
    assert first.status == 200, first.body
    assert first.json()["results"][0]["status"] == "accepted"
    second = upload(crew, crew.devices[1], south)
    conflict = second.json()["results"][0]
    assert conflict["status"] == "conflict"
    assert conflict["scan"]["gate"] == "South"
    assert conflict["first_scan"]["gate"] == "North"
    assert conflict["first_scan"]["device"] == crew.devices[0].split(".")[0]

    log = crew.shop.api.get(
        f"/events/{crew.shop.event_id}/checkins", token=crew.shop.organizer_token
    ).json()
    assert sorted((e["gate"], e["result"]) for e in log["log"]) == [
        ("North", "admitted"),
        ("South", "conflict"),
    ]
    assert (log["admitted"], log["conflicts"]) == (1, 1)

    # The same batches again, as after a lost answer: nothing changes.
    assert [r["status"] for r in upload(crew, crew.devices[0], north).json()["results"]] == [
        "duplicate"
    ]
    assert [r["status"] for r in upload(crew, crew.devices[1], south).json()["results"]] == [
        "duplicate"
    ]
    again = crew.shop.api.get(
        f"/events/{crew.shop.event_id}/checkins", token=crew.shop.organizer_token
    ).json()
    assert (again["admitted"], again["conflicts"], len(again["log"])) == (1, 1, 2)


def test_offline_scans_dated_in_the_future_are_refused_naming_them(crew: Gates):
    ticket = buy(crew.shop, 1).tickets[0]
    later = datetime.now(UTC) + timedelta(hours=1)
    response = upload(crew, crew.devices[0], [offline(ticket["qr_token"], at=later, gate="A")])
    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["scans[0].scanned_at"]


def test_a_device_judges_offline_from_its_bundle_as_the_server_does(crew: Gates):
    holder = buy(crew.shop, 2)
    first = bundle(crew, crew.devices[0])
    assert first["complete"] is True
    assert {t["ticket_id"] for t in first["tickets"]} == {t["id"] for t in holder.tickets}
    gate = Gate.from_bundle(first)
    for ticket in holder.tickets:
        decided = judge(gate, ticket["qr_token"], now=datetime.now(UTC), scans_used=0)
        assert decided.result is ScanResult.ADMITTED
        entry = next(e for e in first["tickets"] if e["ticket_id"] == ticket["id"])
        assert unseal(ticket["qr_token"], entry["attendee"])["code"] == ticket["code"]
        assert ticket["code"] not in entry["attendee"]
    assert bundle(crew, crew.devices[0], since=first["cursor"])["revocations"] == []


def test_the_bundle_needs_a_paired_device(crew: Gates):
    response = crew.shop.api.get(f"/events/{crew.shop.event_id}/scanner-bundle")
    assert response.status == 401
    assert response.json()["code"] == "DEVICE_TOKEN_INVALID"


# ------------------------------------------------------------ cancelled event
def test_every_ticket_of_a_cancelled_event_is_void_online_in_the_bundle_and_offline(
    crew: Gates,
):
    shop = crew.shop
    guest = shop.api.post(
        f"/events/{shop.event_id}/ticket-types",
        {"name": "Guest", "price_cents": 0, "capacity": 10},
        token=shop.organizer_token,
    )
    assert guest.status == 201, guest.body
    shop.types["guest"] = guest.json()["id"]
    paid = buy(shop, 1).tickets[0]
    _, token = shop.buyer()
    placed = shop.order(token, {"guest": 1})
    assert placed.status == 201, placed.body
    free = placed.json()["tickets"][0]
    scanned_offline_at = datetime.now(UTC)  # a device not yet told of the cancellation

    cancelled = shop.api.post(
        f"/events/{shop.event_id}/cancel", {"reason": "flooded"}, token=shop.organizer_token
    )
    assert cancelled.status == 200, cancelled.body

    # Before any refund has run, and for the free ticket that no refund will ever void.
    for ticket in (paid, free):
        answer = crew.scan(ticket["qr_token"]).json()
        assert (answer["result"], answer["void_reason"]) == ("void", "event_cancelled")

    synced = bundle(crew, crew.devices[0])
    assert synced["event"]["status"] == "cancelled"
    gate = Gate.from_bundle(synced)
    for ticket in (paid, free):
        decided = judge(gate, ticket["qr_token"], now=datetime.now(UTC), scans_used=0)
        assert (decided.result, decided.void_reason) == (
            ScanResult.VOID,
            VoidReason.EVENT_CANCELLED,
        )

    uploaded = upload(
        crew,
        crew.devices[1],
        [offline(t["qr_token"], at=scanned_offline_at, gate="East") for t in (paid, free)],
    )
    assert uploaded.status == 200, uploaded.body
    assert [(r["status"], r["result"], r["void_reason"]) for r in uploaded.json()["results"]] == [
        ("rejected", "void", "event_cancelled")
    ] * 2

    counts = shop.api.get(f"/events/{shop.event_id}/checkins", token=shop.organizer_token).json()
    assert (counts["admitted"], counts["refused"]) == (0, 4)


# ----------------------------------------------------------------- checkins
def test_checkins_count_admissions_per_ticket_type_and_gate(crew: Gates):
    bought = buy(crew.shop, 3).tickets
    crew.scan(bought[0]["qr_token"], gate="North")
    crew.scan(bought[1]["qr_token"], gate="South")
    crew.scan(bought[2]["qr_token"], gate="North")
    crew.scan(bought[2]["qr_token"], gate="South")  # already used: refused, logged
    counts = crew.shop.api.get(
        f"/events/{crew.shop.event_id}/checkins?limit=2", token=crew.shop.organizer_token
    ).json()
    assert counts["admitted"] == 3
    assert counts["refused"] == 1
    assert counts["by_gate"] == {"North": 2, "South": 1}
    assert counts["by_ticket_type"][crew.shop.types["ga"]]["tickets_in"] == 3
    assert len(counts["log"]) == 2
    rest = crew.shop.api.get(
        f"/events/{crew.shop.event_id}/checkins?limit=2&cursor={counts['next_cursor']}",
        token=crew.shop.organizer_token,
    ).json()
    assert len(rest["log"]) == 2
    assert rest["next_cursor"] is None
    assert (
        crew.shop.api.get(f"/events/{crew.shop.event_id}/checkins", token=crew.scanner_token).status
        == 403
    )


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        # The device is authenticated before the event is looked up.
        ("ScanTicketFunction", "unpaired_device", 401),
        ("ScannerBundleFunction", "unpaired_device", 401),
        ("UploadOfflineScansFunction", "unpaired_device", 401),
        ("EventCheckinsFunction", "unknown_event", 404),
        ("AddStaffFunction", "unknown_venue", 404),
        ("RemoveStaffFunction", "unknown_venue", 404),
        ("CreatePairingCodeFunction", "unknown_venue", 404),
        ("PairDeviceFunction", "bad_code", 422),
        ("RevokeDeviceFunction", "unknown_venue", 404),
        ("ListDevicesFunction", "unknown_venue", 404),
        ("RenewDeviceFunction", "unknown_venue", 404),
    ],
)
def test_sample_events_answer_problems(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "scanned_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00Z"]
)
def test_an_offline_scan_dated_outside_the_carried_years_is_refused_naming_it(
    crew: Gates, scanned_at: str
):
    ticket = buy(crew.shop, 1).tickets[0]
    scan = {**offline(ticket["qr_token"], at=datetime.now(UTC), gate="A"), "scanned_at": scanned_at}
    response = upload(crew, crew.devices[0], [scan])
    assert response.status == 422, response.body
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("body.scans[0].scanned_at", "DATE_OUT_OF_RANGE")
    ]
    fetched = crew.shop.api.get(f"/tickets/{ticket['id']}", token=crew.shop.organizer_token)
    assert fetched.json()["scans"] == 0
