"""Tickets (issue 7): a holder's tickets and QR images, transfers that void the old QR
online and in the next bundle, naming attendees through the registration link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.dynamo import catalog
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.domain.checkin import Gate, ScanResult, judge
from admitone.services.registration import registration_token
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Gates, Holder, buy, gate_crew, tonight_shop
from tests.integration.payments_kit import outbox_of
from tests.integration.shop import Shop, iso, open_shop
from tests.mailbox import find_link, sent_in_process
from tests.qr_decode import decode_png, decode_svg


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


@pytest.fixture
def crew(shop: Shop) -> Gates:
    return gate_crew(shop)


def link(holder: Holder) -> str:
    order = order_store.get_order(holder.order_id)
    event = catalog.get_event(order.event_id) if order else None
    assert order is not None
    assert event is not None
    issued = registration_token(order, event, now=datetime.now(UTC))
    assert issued is not None
    return issued.token


# ------------------------------------------------------------------ reading
def test_a_holder_lists_their_tickets_in_pages_with_qr_tokens(shop: Shop):
    holder = buy(shop, 3)
    first = shop.api.get("/me/tickets?limit=2", token=holder.token)
    assert first.status == 200
    page = first.json()
    assert len(page["tickets"]) == 2
    rest = shop.api.get(f"/me/tickets?limit=2&cursor={page['next_cursor']}", token=holder.token)
    listed = page["tickets"] + rest.json()["tickets"]
    assert {t["id"] for t in listed} == {t["id"] for t in holder.tickets}
    assert all(t["qr_token"] and t["status"] == "valid" and t["version"] == 1 for t in listed)
    _, other = shop.buyer()
    assert shop.api.get("/me/tickets", token=other).json()["tickets"] == []
    mixed = shop.api.get(f"/me/tickets?cursor={page['next_cursor']}", token=other)
    assert mixed.status == 400
    assert mixed.json()["code"] == "CURSOR_INVALID"


def test_a_ticket_shows_to_its_holder_and_organizer_only(shop: Shop):
    ticket = buy(shop, 1).tickets[0]
    holder_token = shop.buyer()[1]
    assert shop.api.get(f"/tickets/{ticket['id']}", token=holder_token).status == 404
    organizer_view = shop.api.get(f"/tickets/{ticket['id']}", token=shop.organizer_token).json()
    assert organizer_view["code"] == ticket["code"]
    assert organizer_view["qr_token"] is None
    malformed = shop.api.get("/tickets/not-an-id", token=shop.organizer_token)
    assert malformed.status == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["path.ticket_id"]


@pytest.mark.parametrize("image", ["png", "svg"])
def test_the_qr_image_decodes_to_a_token_the_gate_admits(shop: Shop, crew: Gates, image: str):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    response = shop.api.get(f"/tickets/{ticket['id']}/qr?format={image}", token=holder.token)
    assert response.status == 200, response.body
    assert response.headers["cache-control"] == "private, no-store"
    if image == "png":
        assert response.headers["content-type"] == "image/png"
        decoded = decode_png(response.body)
    else:
        assert response.headers["content-type"] == "image/svg+xml"
        decoded = decode_svg(response.body.decode())
    assert decoded == ticket["qr_token"]
    gate = Gate.from_bundle(
        shop.api.get(
            f"/events/{shop.event_id}/scanner-bundle", headers={"X-Device-Token": crew.devices[0]}
        ).json()
    )
    assert judge(gate, decoded, now=datetime.now(UTC), scans_used=0).result is ScanResult.ADMITTED
    assert crew.scan(decoded).json()["result"] == "admitted"


def test_only_the_holder_gets_the_qr_image_and_only_as_png_or_svg(shop: Shop):
    holder = buy(shop, 1)
    path = f"/tickets/{holder.tickets[0]['id']}/qr"
    assert shop.api.get(path, token=shop.organizer_token).status == 404
    bad = shop.api.get(f"{path}?format=gif", token=holder.token)
    assert bad.status == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["query.format"]


def test_the_qr_image_answers_through_the_sample_event(aws: AwsStack):
    response = aws.invoke_sample("TicketQrFunction", "unknown")
    assert response["statusCode"] == 404
    assert not response.get("isBase64Encoded")


# ----------------------------------------------------------------- transfer
def test_a_transfer_voids_the_old_qr_online_and_in_the_next_bundle(shop: Shop, crew: Gates):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    device = crew.devices[0]
    synced = shop.api.get(
        f"/events/{shop.event_id}/scanner-bundle", headers={"X-Device-Token": device}
    ).json()

    moved = shop.api.post(
        f"/tickets/{ticket['id']}/transfer",
        {"email": "Friend@Example.com", "name": "Friend"},
        token=holder.token,
    )
    assert moved.status == 200, moved.body
    assert moved.json()["version"] == 2
    assert moved.json()["qr_token"] is None  # no longer the caller's
    assert moved.json()["attendee_email"] == "friend@example.com"
    assert "ticket.transferred" in outbox_of(holder.order_id)

    assert crew.scan(ticket["qr_token"]).json()["result"] == "void"
    delta = shop.api.get(
        f"/events/{shop.event_id}/scanner-bundle?since={synced['cursor']}",
        headers={"X-Device-Token": device},
    ).json()
    assert {"ticket_id": ticket["id"], "version": 2} in delta["revocations"]
    stale = Gate.from_bundle(
        {**synced, "revocations": synced["revocations"] + delta["revocations"]}
    )
    old = judge(stale, ticket["qr_token"], now=datetime.now(UTC), scans_used=0)
    assert old.result is ScanResult.VOID

    assert shop.api.get(f"/tickets/{ticket['id']}", token=holder.token).status == 404
    recipient = shop.aws.access_token(_holder_id(ticket["id"]), "buyer", email="friend@example.com")
    mine = shop.api.get("/me/tickets", token=recipient).json()["tickets"]
    assert [t["id"] for t in mine] == [ticket["id"]]
    new_token = mine[0]["qr_token"]
    assert new_token != ticket["qr_token"]
    assert judge(stale, new_token, now=datetime.now(UTC), scans_used=0).admits
    assert crew.scan(new_token).json()["result"] == "admitted"


def _holder_id(ticket_id: str) -> str:
    ticket = ticket_store.get_ticket(ticket_id)
    assert ticket is not None
    return ticket.holder_id


def test_of_two_transfers_of_one_ticket_at_once_exactly_one_moves_it(shop: Shop):
    import threading  # noqa: PLC0415

    from admitone.domain.accounts import Principal  # noqa: PLC0415
    from admitone.domain.errors import Conflict, NotFound  # noqa: PLC0415
    from admitone.domain.jwt_tokens import Role  # noqa: PLC0415
    from admitone.services.tickets import transfer_ticket  # noqa: PLC0415
    from admitone.services.wiring import ports  # noqa: PLC0415

    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    caller = Principal(holder.user_id, frozenset({Role.BUYER}), email=f"{holder.user_id}@x.test")
    barrier = threading.Barrier(2)
    moved: list[int] = []
    refused: list[Exception] = []

    def transfer(email: str) -> None:
        barrier.wait()
        try:
            moved.append(transfer_ticket(ports(), ticket["id"], caller, email=email).version)
        except (Conflict, NotFound) as error:  # changed meanwhile, or no longer theirs
            refused.append(error)

    threads = [
        threading.Thread(target=transfer, args=(f"friend{n}@example.com",)) for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (moved, len(refused)) == ([2], 1)
    stored = ticket_store.get_ticket(ticket["id"])
    assert stored is not None
    assert stored.version == 2
    assert outbox_of(holder.order_id).count("ticket.transferred") == 1


def test_a_used_or_foreign_ticket_cannot_be_transferred(shop: Shop, crew: Gates):
    holder = buy(shop, 2)
    used, kept = holder.tickets
    crew.scan(used["qr_token"])
    refused = shop.api.post(
        f"/tickets/{used['id']}/transfer", {"email": "x@example.com"}, token=holder.token
    )
    assert refused.status == 409
    assert refused.json()["code"] == "TICKET_NOT_TRANSFERABLE"
    _, stranger = shop.buyer()
    stolen = shop.api.post(
        f"/tickets/{kept['id']}/transfer", {"email": "x@example.com"}, token=stranger
    )
    assert stolen.status == 404
    to_self = shop.api.post(
        f"/tickets/{kept['id']}/transfer",
        {"email": f"{holder.user_id}@example.com"},
        token=holder.token,
    )
    assert to_self.status == 422
    assert [e["field"] for e in to_self.json()["errors"]] == ["email"]
    bad_email = shop.api.post(
        f"/tickets/{kept['id']}/transfer", {"email": "nope"}, token=holder.token
    )
    assert bad_email.status == 422


# ------------------------------------------------------------- registration
def test_naming_attendees_is_idempotent_and_announces_each_once(shop: Shop):
    holder = buy(shop, 2)
    token = link(holder)
    shown = shop.api.get(f"/registrations/{token}")
    assert shown.status == 200, shown.body
    assert shown.json()["open"] is True
    assert {t["ticket_id"] for t in shown.json()["tickets"]} == {t["id"] for t in holder.tickets}
    names = {
        "tickets": [
            {"ticket_id": t["id"], "attendee_name": f"Guest {i}", "attendee_email": f"g{i}@ex.com"}
            for i, t in enumerate(holder.tickets)
        ]
    }
    first = shop.api.post(f"/registrations/{token}", names)
    assert first.status == 200, first.body
    again = shop.api.post(f"/registrations/{token}", names)
    assert again.json() == first.json()
    assert outbox_of(holder.order_id).count("ticket.attendee_named") == 2
    mine = shop.api.get("/me/tickets", token=holder.token).json()["tickets"]
    assert sorted(t["attendee_name"] for t in mine) == ["Guest 0", "Guest 1"]
    assert {t["version"] for t in mine} == {1}  # nobody had been named: QRs stand


def test_renaming_an_attendee_reissues_the_qr_they_were_sent(shop: Shop, crew: Gates):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    token = link(holder)
    entry = {"ticket_id": ticket["id"], "attendee_name": "Ann", "attendee_email": "ann@ex.com"}
    shop.api.post(f"/registrations/{token}", {"tickets": [entry]})
    renamed = {**entry, "attendee_name": "Bob", "attendee_email": "bob@ex.com"}
    assert shop.api.post(f"/registrations/{token}", {"tickets": [renamed]}).status == 200
    assert crew.scan(ticket["qr_token"]).json()["result"] == "void"
    current = shop.api.get(f"/tickets/{ticket['id']}", token=holder.token).json()
    assert current["version"] == 2
    admitted = crew.scan(current["qr_token"]).json()
    assert (admitted["result"], admitted["ticket"]["attendee_name"]) == ("admitted", "Bob")


def test_after_the_deadline_registration_is_gone(api: Api, aws: AwsStack):
    now = datetime.now(UTC).replace(microsecond=0)
    closed = open_shop(api, aws, event={"registration_deadline": iso(now - timedelta(minutes=1))})
    holder = buy(closed, 1)
    token = link(holder)
    assert closed.api.get(f"/registrations/{token}").json()["open"] is False
    entry = {"ticket_id": holder.tickets[0]["id"], "attendee_name": "A", "attendee_email": "a@x.io"}
    late = closed.api.post(f"/registrations/{token}", {"tickets": [entry]})
    assert late.status == 410
    assert late.json()["code"] == "REGISTRATION_CLOSED"
    assert late.headers["content-type"] == "application/problem+json"


def test_a_link_names_only_its_own_orders_tickets(shop: Shop):
    mine, theirs = buy(shop, 1), buy(shop, 1)
    entry = {"ticket_id": theirs.tickets[0]["id"], "attendee_name": "X", "attendee_email": "x@x.io"}
    response = shop.api.post(f"/registrations/{link(mine)}", {"tickets": [entry]})
    assert response.status == 404
    assert [e["field"] for e in response.json()["errors"]] == ["tickets[0].ticket_id"]
    forged = shop.api.get("/registrations/not-a-token")
    assert forged.status == 401


def test_the_buyer_sees_the_registration_link_on_the_order(shop: Shop):
    holder = buy(shop, 1)
    order = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()
    token = order["registration"]["token"]
    assert shop.api.get(f"/registrations/{token}").json()["order_id"] == holder.order_id
    organizer_view = shop.api.get(f"/orders/{holder.order_id}", token=shop.organizer_token).json()
    assert organizer_view["registration"] is None


@pytest.mark.parametrize(
    ("function_id", "scenario", "status"),
    [
        ("ListMyTicketsFunction", "ok", 200),
        ("GetTicketFunction", "unknown", 404),
        ("TransferTicketFunction", "unknown", 404),
        ("GetRegistrationFunction", "bad_token", 401),
        ("NameAttendeesFunction", "bad_token", 401),
    ],
)
def test_sample_events(aws: AwsStack, function_id: str, scenario: str, status: int):
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response["body"]


def test_a_recipient_without_an_account_claims_the_one_made_for_them(shop: Shop):
    holder = buy(shop, 1)
    ticket = holder.tickets[0]
    moved = shop.api.post(
        f"/tickets/{ticket['id']}/transfer", {"email": "newcomer@example.com"}, token=holder.token
    )
    assert moved.status == 200, moved.body
    # Unclaimed: no password works until the address proves itself through a reset.
    login = {"email": "newcomer@example.com", "password": "any password at all"}
    assert shop.api.post("/auth/login", login).status == 401
    assert shop.api.post("/auth/password/forgot", {"email": "newcomer@example.com"}).status == 202
    (mail,) = [m for m in sent_in_process() if "newcomer@example.com" in m.to]
    reset_token = re.search(r"token=([^&\s]+)", find_link(mail, r"/reset-password"))
    assert reset_token is not None
    chosen = {"token": reset_token.group(1), "password": "my own new password"}
    assert shop.api.post("/auth/password/reset", chosen).status == 204

    session = shop.api.post(
        "/auth/login", {"email": "newcomer@example.com", "password": "my own new password"}
    )
    assert session.status == 200, session.body
    mine = shop.api.get("/me/tickets", token=session.json()["access_token"]).json()["tickets"]
    assert [t["id"] for t in mine] == [ticket["id"]]
